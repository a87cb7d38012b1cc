// One-line renderings for trace logs, on src/wire's renderer:
//   recv #8 node 1 uid 1000 gid 1000 pid 4242 LOOKUP{name:a}
//   send #8 entry_out{nodeid:2 … attr:{ino:2 …}}
import { format } from '../../src/wire/index.js';
import type { DecodedRequest, FuseReply } from './codec.js';

/** `#unique node N uid U gid G pid P OPCODE{fields}`; data shows as a byte count. */
export function formatRequest(d: DecodedRequest): string {
  const h = d.header;
  const ext = d.ext.length ? ` ext:<${d.ext.length} bytes>` : '';
  return `#${h.unique} node ${h.nodeid} uid ${h.uid} gid ${h.gid} pid ${h.pid} ${format(d.msg)}${ext}`;
}

/** `#unique reply{fields}`. */
export function formatReply(unique: bigint, r: FuseReply): string {
  return `#${unique} ${format(r)}`;
}

export { format };
