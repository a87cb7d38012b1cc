// A humbridge FUSE mount served in its own process, for the FUSE benchmark
// (whose own process must never touch the mount: a call there would wait
// for a server that cannot run).
//
//   node dist/tools/bench/fuse-server.js DIR MOUNTPOINT [--readers N] [--passthrough] [--watch on|off]
//
// --watch on: the host watch, as `humbridge mount` has it by default (the
// kernel then trusts names and attributes 60 s and is told of host edits).
// Off by default here, as in the library: the kernel trusts them 1 s, as
// bindfs's kernel does, so the rows compare the servers, not the caches.
//
// Prints "ready passthrough=on|off|n/a" on stdout once mounted ("n/a": this
// build's mount has no passthrough); on SIGTERM or SIGINT unmounts, closes
// the export and exits 0.

import { openExport, stderrLogger } from '../../src/index.js';
import { mountFuse, type MountOptions } from '../../fuse/mount.js';
import type { FuseSession } from '../../fuse/session.js';

interface Args {
  dir: string;
  mountpoint: string;
  readers: number | undefined;
  passthrough: boolean;
  watch: boolean;
}

function parse(argv: readonly string[]): Args {
  const pos: string[] = [];
  let readers: number | undefined;
  let passthrough = false;
  let watch = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--watch') {
      const v = argv[++i];
      if (v !== 'on' && v !== 'off') throw new Error('--watch wants on or off');
      watch = v === 'on';
    } else if (a === '--readers') {
      readers = Number(argv[++i]);
      if (!Number.isInteger(readers) || readers < 1) throw new Error('--readers needs a positive whole number');
    } else if (a === '--passthrough') passthrough = true;
    else if (a.startsWith('--')) throw new Error(`unknown argument ${a}`);
    else pos.push(a);
  }
  const [dir, mountpoint] = pos;
  if (dir === undefined || mountpoint === undefined || pos.length > 2) throw new Error('usage: fuse-server DIR MOUNTPOINT [--readers N] [--passthrough] [--watch on|off]');
  return { dir, mountpoint, readers, passthrough, watch };
}

/** Whether the kernel took passthrough: known once INIT (sent by the kernel at mount) is answered. */
async function passthroughState(session: FuseSession): Promise<'on' | 'off'> {
  for (let i = 0; i < 200 && session.agreed === 0n; i++) await new Promise((r) => setTimeout(r, 10));
  return session.passthrough.active ? 'on' : 'off';
}

async function main(): Promise<void> {
  const a = parse(process.argv.slice(2));
  const log = stderrLogger({ debug: false });
  const vfs = await openExport({ path: a.dir, mode: 'hostfs', watch: a.watch });
  const opts: MountOptions = { log, readers: a.readers, passthrough: a.passthrough };
  const m = await mountFuse(vfs, a.mountpoint, opts);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void m
      .unmount()
      .then(() => vfs.close())
      .then(
        () => process.exit(0),
        (e: unknown) => {
          process.stderr.write(`fuse-server: ${e instanceof Error ? e.message : String(e)}\n`);
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdout.write(`ready passthrough=${a.passthrough ? await passthroughState(m.session) : 'off'}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`fuse-server: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
