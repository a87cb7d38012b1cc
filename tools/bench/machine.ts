// The machine a run was measured on, as lines for BENCHMARKS.md.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';

function out(cmd: string, args: readonly string[]): string | undefined {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** The device and file system holding dir, and whether the device spins. */
function diskOf(dir: string): string {
  const found = out('findmnt', ['-n', '-o', 'SOURCE,FSTYPE', '-T', dir]);
  if (found === undefined) return 'unknown';
  const [source = '', fstype = ''] = found.split(/\s+/);
  const dev = /^\/dev\/([a-z]+)/.exec(source)?.[1];
  let kind = '';
  try {
    if (dev !== undefined) kind = fs.readFileSync(`/sys/block/${dev}/queue/rotational`, 'utf8').trim() === '1' ? ', rotational' : ', non-rotational';
  } catch {
    // a partition or a device without the attribute
  }
  return `${fstype} on ${source}${kind}`;
}

export function describeMachine(tmp: string): string[] {
  const cpus = os.cpus();
  const virt = out('systemd-detect-virt', []);
  return [
    `CPU: ${cpus[0]?.model.trim() ?? 'unknown'}, ${os.availableParallelism()} cores${virt && virt !== 'none' ? ` (virtual machine: ${virt})` : ''}`,
    `RAM: ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `Kernel: ${os.type()} ${os.release()}`,
    `Node: ${process.version}`,
    `Temp dir ${tmp}: ${diskOf(tmp)}`,
  ];
}
