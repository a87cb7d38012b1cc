// humfs through the real Linux client, with humbridge running as an
// unprivileged host user (65534) on a tree humfsify made: the guest's root
// chowns to any uid, makes device nodes and FIFOs and sets setuid, setgid
// and sticky bits, and sees them all in `ls -l`; afterwards the metadata
// files on the host say exactly that, every data/ entry still belongs to the
// serving user, and `humfsify --check` finds the tree clean, also after
// several guest processes raced on the same names (humfs.sh "race").
import { lstat, mkdir, readdir, readFile, stat, writeFile, chown, chmod } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { guestSourceDir, repoRoot } from './paths.js';
import { run } from './proc.js';
import { expectChecks, fact } from './report.js';
import { runGuest } from './run-guest.js';
import { runAsUnavailable } from './servers.js';
import { guestCase, guestPrereqs, missingFor, selectedServers, withFixture } from './suite.js';

const prereqs = await guestPrereqs();
const script = await readFile(path.join(guestSourceDir(), 'cases', 'humfs.sh'), 'utf8');
/** The host user that serves the tree: nobody:nogroup. */
const SERVING = { uid: 65534, gid: 65534 };
const TOTAL = 1024 * 1024 * 1024;
const humfsify = path.join(repoRoot(), 'dist', 'tools', 'humfsify.js');
const humbridge = path.join(repoRoot(), 'dist', 'tools', 'humbridge.js');

/** What humfs.sh leaves: record text per file under h/ (modes in decimal, as the format has them). */
const FILE_RECORDS: Record<string, string> = {
  owned: '420 1235 5678', // 0644, chown 1234:5678 then 1235 through the hard link
  owned2: '420 1235 5678',
  huge: '384 4000000000 4000000001', // 0600
  'sgid/inherits': '420 0 3000', // created in a setgid directory of group 3000
  null: '416 1234 5678 c 1 3', // 0640
  sda1: '432 0 6 b 8 1', // 0660
  bigdev: '384 0 0 c 4095 1048575', // 0600
  nvme: '420 0 0 b 259 70000',
  fifo: '420 0 0 p 0 0',
  pipe: '384 0 0 p 0 0',
  suid: '2541 0 0', // 04755
  sgidfile: '1512 0 0', // 02750
  all: '4012 0 0', // 07654
  renamed: '384 0 0 c 10 200',
};
const DIR_RECORDS: Record<string, string> = {
  h: '493 0 0', // 0755
  'h/sgid': '1533 2000 3000', // 02775
  'h/sticky': '1023 0 0', // 01777
  pre: '493 1001 1002',
};

async function prepare(dir: string): Promise<void> {
  await mkdir(path.join(dir, 'data', 'pre'), { recursive: true });
  const host = path.join(dir, 'data', 'pre', 'host.txt');
  await writeFile(host, 'from the host\n');
  await chmod(host, 0o640);
  await chown(host, 1001, 1002);
  await chmod(path.join(dir, 'data', 'pre'), 0o755);
  await chown(path.join(dir, 'data', 'pre'), 1001, 1002);
  await run(process.execPath, [humfsify, '-C', dir, String(SERVING.uid), String(SERVING.gid), String(TOTAL)]);
  // The server rewrites the superblock by rename in the export folder.
  await chown(dir, SERVING.uid, SERVING.gid);
}

/** Every entry under `dir` (itself included), by lstat. */
async function walk(dir: string, out: { path: string; uid: number; gid: number; kind: string }[] = []) {
  const st = await lstat(dir);
  const kind = st.isDirectory() ? 'dir' : st.isFile() ? 'file' : st.isSymbolicLink() ? 'symlink' : 'special';
  out.push({ path: dir, uid: st.uid, gid: st.gid, kind });
  if (st.isDirectory()) for (const name of await readdir(dir)) await walk(path.join(dir, name), out);
  return out;
}

if (selectedServers().includes('humbridge')) {
  const missing = (await missingFor(prereqs, 'humbridge')) ?? (await runAsUnavailable());
  // 9P2000.L carries owners in setattr and devices in Tmknod; 9P2000.u in
  // Twstat's n_uid/n_gid and Tcreate's extension string ("c 1 3"). Both
  // must leave the very same records.
  for (const version of ['9p2000.L', '9p2000.u'] as const) {
    guestCase(test, `humfs ${version} served by an unprivileged user: owners, devices, FIFOs, mode bits [humbridge]`, missing, async () => {
      await withFixture(
        'humbridge',
        'tcp',
        prepare,
        async (f) => {
          const r = await runGuest({
            image: prereqs.image!,
            server: f.server,
            script,
            files: { total: String(TOTAL) },
            mountOptions: { version },
            timeoutMs: 120_000,
          });
          const report = expectChecks(r);

          // The server refuses I/O on a device node itself (the guest never asks:
          // its kernel opens device nodes locally).
          const cat = await run(process.execPath, [humbridge, '9p', '-a', `tcp:127.0.0.1:${f.server.port}`, 'cat', 'h/sda1']).then(
            () => 'opened',
            (e: Error) => e.message,
          );
          assert.match(cat, /No such device or address|ENXIO/, `9P open of a device node: ${cat}`);

          const ex = (...p: string[]) => path.join(f.exportDir, ...p);
          for (const [name, want] of Object.entries(FILE_RECORDS)) {
            assert.is(await readFile(ex('file_metadata', 'h', name), 'utf8'), `${want}\n`, `file_metadata/h/${name}`);
          }
          for (const [dir, want] of Object.entries(DIR_RECORDS)) {
            assert.is(await readFile(ex('dir_metadata', dir, 'metadata'), 'utf8'), `${want}\n`, `dir_metadata/${dir}/metadata`);
          }
          assert.is(await readFile(ex('file_metadata', 'pre', 'host.txt'), 'utf8'), '416 1001 1002\n');
          const [a, b] = await Promise.all([stat(ex('file_metadata', 'h', 'owned')), stat(ex('file_metadata', 'h', 'owned2'))]);
          assert.is(a.ino, b.ino, 'hard links share one record file');
          const symRecord = (await readFile(ex('file_metadata', 'h', 'sym'), 'utf8')).split(' ');
          assert.equal(symRecord.slice(1), ['0', '0\n'], 'the symlink is root\'s');
          for (const gone of ['tmpdev', 'gone', 'moved']) {
            for (const tree of ['data', 'file_metadata', 'dir_metadata']) {
              await lstat(ex(tree, 'h', gone)).then(
                () => assert.unreachable(`${tree}/h/${gone} should be gone`),
                (e: NodeJS.ErrnoException) => assert.is(e.code, 'ENOENT'),
              );
            }
          }

          // data/: placeholders, all the serving user's; what the guest wrote to
          // its own /dev/null never reached the placeholder.
          for (const e of await walk(ex('data'))) {
            assert.is(`${e.uid}:${e.gid}`, `${SERVING.uid}:${SERVING.gid}`, `owner of ${e.path}`);
            assert.is.not(e.kind, 'special', `${e.path} is a placeholder, not a host special file`);
          }
          assert.is((await stat(ex('data', 'h', 'null'))).size, 0, 'the device placeholder stays empty');
          assert.is(await readFile(ex('data', 'h', 'owned'), 'utf8'), 'x\n');

          if (version === '9p2000.L') {
            const statfs = /bsize=(\d+) blocks=(\d+)/.exec(fact(report, 'statfs'));
            assert.ok(statfs, 'statfs fact parses');
            assert.is(Number(statfs![1]) * Number(statfs![2]), TOTAL, 'the guest sees the superblock total');
          }

          // Stopped, the server has written the superblock's final `used`: the
          // whole tree must now be what humfsify itself would accept.
          await f.server.stop();
          assert.match(await readFile(ex('superblock'), 'utf8'), new RegExp(`\\ntotal ${TOTAL}\\n`));
          const checked = await run(process.execPath, [humfsify, '--check', '--json', '-C', f.exportDir]).then(
            (res) => res.stdout.toString('utf8'),
            (e: Error) => e.message,
          );
          assert.ok(checked.startsWith('{'), `humfsify --check: ${checked}`);
          const summary = JSON.parse(checked) as { ok: boolean; problems: unknown[] };
          assert.equal(summary.problems, [], `humfsify --check: ${checked}`);
          assert.ok(summary.ok);
        },
        { args: ['--humfs'], runAs: SERVING },
      );
    });
  }
}

test.run();
