// Debian's diod client tools against our server: `diodls -l` lists and
// `diodcat` reads (byte-exact, by sha256) a tree served by `humbridge
// serve`. They speak 9P2000.L only and attach with an aname (default
// "ctl"): our server gives its default export for "/" (and "" and the
// export's own path), so they run with `-a /`.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { findProgram, startHumbridge, type RunningServer } from '../../tools/bench/servers.js';
import { modeString } from '../../tools/cli/mode-string.js';
import { tmpExport, type TmpExport } from '../helpers/tmp-export.js';
import { firstMissing, gated, needProgram } from '../helpers/gate.js';

const sha = (b: Buffer): string => crypto.createHash('sha256').update(b).digest('hex');

function buildTree(root: string): string[] {
  const files: string[] = [];
  const put = (rel: string, data: Buffer): void => {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), data);
    files.push(rel);
  };
  put('empty', Buffer.alloc(0));
  put('small.txt', Buffer.from('hello\n'));
  put('exactly-64k', crypto.randomBytes(65536));
  put('big.bin', crypto.randomBytes(5 * 1024 * 1024 + 17));
  put('dir/nested/deep file with spaces', crypto.randomBytes(100_000));
  put('dir/ünïcödé', Buffer.from('utf-8 name'));
  for (let i = 0; i < 200; i++) put(`many/f${i}`, Buffer.from(String(i)));
  fs.chmodSync(path.join(root, 'small.txt'), 0o640);
  fs.symlinkSync('small.txt', path.join(root, 'link'));
  return files;
}

const noTools = firstMissing(needProgram('diodls', 'diod'), needProgram('diodcat', 'diod'));

async function withTree(fn: (tmp: TmpExport, srv: RunningServer, files: string[]) => Promise<void>): Promise<void> {
  const tmp = tmpExport('humbridge-diodtools-');
  const files = buildTree(tmp.dir);
  let srv: RunningServer | undefined;
  try {
    srv = await startHumbridge(tmp.dir);
    await fn(tmp, srv, files);
  } finally {
    await srv?.stop();
    tmp.cleanup();
  }
}

function run(program: string, args: string[]): { status: number | null; stdout: Buffer; stderr: string } {
  const r = spawnSync(findProgram(program) ?? program, args, { timeout: 120_000, maxBuffer: 64 << 20 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

gated(test, 'diodcat -m 1048576 reads every file byte-exact', noTools, () =>
  withTree(async (tmp, srv, files) => {
    for (const rel of files) {
      const r = run('diodcat', ['-s', `${srv.host}:${srv.port}`, '-a', '/', '-m', '1048576', rel]);
      assert.is(r.status, 0, `${rel}: ${r.stderr}`);
      assert.is(sha(r.stdout), sha(fs.readFileSync(path.join(tmp.dir, rel))), rel);
    }
  }));

gated(test, 'diodcat of several files at once, and of a missing file (error, non-zero)', noTools, () =>
  withTree(async (tmp, srv) => {
    const r = run('diodcat', ['-s', `${srv.host}:${srv.port}`, '-a', '/', 'small.txt', 'dir/ünïcödé']);
    assert.is(r.status, 0, r.stderr);
    assert.is(r.stdout.toString(), 'hello\nutf-8 name');
    const bad = run('diodcat', ['-s', `${srv.host}:${srv.port}`, '-a', '/', 'nope']);
    assert.is.not(bad.status, 0);
    assert.match(bad.stderr, /No such file or directory/);
  }));

gated(test, 'diodls -l lists each directory with the modes, link counts and sizes the host has', noTools, () =>
  withTree(async (tmp, srv) => {
    for (const dir of ['/', 'dir', 'dir/nested', 'many']) {
      const r = run('diodls', ['-s', `${srv.host}:${srv.port}`, '-a', '/', '-l', dir]);
      assert.is(r.status, 0, `${dir}: ${r.stderr}`);
      const lines = r.stdout.toString().trim().split('\n');
      const seen = new Map<string, string[]>();
      for (const line of lines) {
        // "drwxr-xr-x.    3 root root         4096 Nov 29 09:53 name"
        const m = /^(\S{10})\.?\s+(\d+)\s+\S+\s+\S+\s+(\d+)\s+\S+\s+\d+\s+\S+\s(.*)$/.exec(line);
        assert.ok(m, `unparsed line: ${line}`);
        seen.set((m as RegExpExecArray)[4] as string, [(m as RegExpExecArray)[1] as string, (m as RegExpExecArray)[2] as string, (m as RegExpExecArray)[3] as string]);
      }
      const hostDir = path.join(tmp.dir, dir);
      const expected = ['.', '..', ...fs.readdirSync(hostDir)].sort();
      assert.equal([...seen.keys()].sort(), expected, dir);
      for (const name of fs.readdirSync(hostDir)) {
        const st = fs.lstatSync(path.join(hostDir, name));
        const [mode, nlink, size] = seen.get(name) as string[];
        // diodls prints only "d" or "-" for the type; the permission bits are exact.
        assert.is(mode, (st.isDirectory() ? 'd' : '-') + modeString(st.mode).slice(1), `${dir}/${name} mode`);
        assert.is(Number(nlink), st.nlink, `${dir}/${name} nlink`);
        if (!st.isDirectory()) assert.is(Number(size), st.size, `${dir}/${name} size`);
      }
    }
  }));

test.run();
