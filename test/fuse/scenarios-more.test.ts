// Scenarios through a real FUSE mount for the opcodes beyond the basics
// (xattrs, POSIX locks, mknod, fallocate, copy_file_range). Besides the result
// the program sees, each checks that the session answered the opcode
// (session.unsupported lacks it), so a kernel fallback cannot pass it.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { nullLogger } from '../../src/index.js';
import { mountFuse, type FuseMount } from '../../fuse/mount.js';
import { gated, firstMissing, needProgram, type Missing } from '../helpers/gate.js';
import { fuseMissing, MODES, noMountAt, sh, withMount, type Mounted } from './helpers/mount.js';

const test = suite('fuse scenarios (xattrs, locks, mknod, fallocate, copy_file_range)');
const withPython = firstMissing(fuseMissing, needProgram('python3', 'python3'));

const register = (name: string, missing: Missing, fn: () => Promise<void>): void => gated(test, name, missing, fn);

function answered(m: Mounted, ...opcodes: string[]): void {
  const missing = opcodes.filter((o) => m.mount.session.unsupported.has(o));
  assert.equal(missing, [], `answered ENOSYS: ${missing.join(', ')}`);
}

for (const mode of MODES) {
  const on = (name: string, fn: (m: Mounted) => Promise<void>, missing = fuseMissing): void =>
    register(`${mode}: ${name}`, missing, () => withMount(mode, () => undefined, fn, { prefix: 'humbridge-fuse-pend-' }));

  on(
    'xattrs: set, get, list, remove; ENODATA for a missing one',
    async (m) => {
      const py =
        'import os\n' +
        'open("f","w").write("x")\n' +
        'os.setxattr("f","user.k",b"v\\x00\\xff")\n' +
        'print(os.getxattr("f","user.k"), sorted(os.listxattr("f")))\n' +
        'os.removexattr("f","user.k")\n' +
        'try:\n  os.getxattr("f","user.k")\nexcept OSError as e:\n  print(e.errno)\n';
      const r = await sh('python3 -c "$1"', m.mnt, py);
      assert.is(r.code, 0, r.stderr);
      assert.is(r.stdout.toString(), "b'v\\x00\\xff' ['user.k']\n61\n");
      answered(m, 'SETXATTR', 'GETXATTR', 'LISTXATTR', 'REMOVEXATTR');
    },
    withPython,
  );

  on('mknod: a FIFO (and as root on humfs a device, recorded)', async (m) => {
    const dev = m.mode === 'humfs' ? ' && mknod c c 1 3 && chmod 620 c' : '';
    const r = await sh(`mkfifo -m 640 p${dev} && stat -c "%n %F %a %t %T" *`, m.mnt);
    assert.is(r.code, 0, r.stderr);
    const want = m.mode === 'humfs' ? 'c character special file 620 1 3\np fifo 640 0 0\n' : 'p fifo 640 0 0\n';
    assert.is(r.stdout.toString(), want);
    if (m.mode === 'humfs') assert.match(fs.readFileSync(path.join(m.tmp.dir, 'file_metadata/c'), 'utf8'), /^400 0 0 c 1 3\n$/);
    answered(m, 'MKNOD');
  });

  on('fallocate reserves blocks and sets the size', async (m) => {
    const r = await sh('fallocate -l 1048576 f && stat -c "%s %b %B" f', m.mnt);
    assert.is(r.code, 0, r.stderr);
    const [size, blocks, unit] = r.stdout.toString().trim().split(' ').map(Number);
    assert.is(size, 1048576);
    assert.ok((blocks ?? 0) * (unit ?? 0) >= 1048576, r.stdout.toString());
    answered(m, 'FALLOCATE');
  });

  on(
    'copy_file_range copies through the server',
    async (m) => {
      const py =
        'import os\n' +
        'open("src","wb").write(bytes(range(256))*4096)\n' +
        's=os.open("src",os.O_RDONLY); d=os.open("dst",os.O_WRONLY|os.O_CREAT,0o644)\n' +
        'n=0\nwhile n < 1048576:\n  n+=os.copy_file_range(s,d,1048576-n,n,n)\n' +
        'os.close(s); os.close(d)\nprint(open("dst","rb").read()==open("src","rb").read())\n';
      const r = await sh('python3 -c "$1"', m.mnt, py);
      assert.is(r.code, 0, r.stderr);
      assert.is(r.stdout.toString(), 'True\n');
      answered(m, 'COPY_FILE_RANGE');
    },
    withPython,
  );

  // Two mounts of one Vfs: the kernel keeps local locks per mount, so only locks held by the server conflict across them.
  register(`${mode}: POSIX locks conflict across two mounts of one Vfs`, withPython, () =>
    withMount(
      mode,
      () => undefined,
      async (m) => {
        const mnt2 = path.join(m.tmp.outside, 'mnt2');
        fs.mkdirSync(mnt2);
        let second: FuseMount | undefined;
        try {
          // One reader: each holds a libuv pool thread (4 by default), and the Vfs needs the others.
          second = await mountFuse(m.vfs, mnt2, { log: nullLogger, readers: 1 });
          const holder = 'import fcntl,sys\nf=open("f","w")\nfcntl.lockf(f,fcntl.LOCK_EX)\nprint("locked",flush=True)\nsys.stdin.read()\n';
          const tryer =
            'import fcntl,errno\nf=open("f","r+")\ntry:\n  fcntl.lockf(f,fcntl.LOCK_EX|fcntl.LOCK_NB); print("got it")\nexcept OSError as e:\n  print(errno.errorcode[e.errno])\n';
          // The holder keeps its lock until its stdin closes; the other mount tries once it said so.
          const hold = spawn('sh', ['-c', 'cd "$0" && exec python3 -c "$1"', m.mnt, holder], { cwd: '/', timeout: 30_000, killSignal: 'SIGKILL' });
          const done = new Promise((r) => hold.on('close', r));
          try {
            await new Promise<void>((resolve, reject) => {
              hold.stdout.on('data', (d: Buffer) => (d.toString().includes('locked') ? resolve() : undefined));
              hold.on('close', () => reject(new Error('the lock holder ended early')));
            });
            const got = await sh('python3 -c "$1"', mnt2, tryer);
            assert.is(got.stdout.toString(), 'EAGAIN\n', got.stderr);
          } finally {
            hold.stdin.end();
            await done;
          }
          answered(m, 'SETLK', 'GETLK');
          assert.not.ok(second.session.unsupported.has('SETLK'), 'the second mount answered SETLK');
        } finally {
          if (second) await second.unmount();
          await noMountAt(mnt2);
        }
      },
      { prefix: 'humbridge-fuse-pend-' },
    ),
  );
}

test.run();
