// npm's install step for native/ (the small addon: unprivileged mounts and
// passthrough for FUSE; nanosecond times and SEEK_DATA/SEEK_HOLE for the
// VFS core). It never fails the install: humbridge works without the addon
// (root mounts, 9P), so a failed build prints one line saying what is lost
// and the install goes on.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = path.join(root, 'native');

/** npm's own node-gyp (npm passes its path to scripts), else the one beside this node, else npx. */
function nodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  for (const c of candidates) if (c && fs.existsSync(c)) return [process.execPath, [c]];
  return ['npx', ['--no-install', 'node-gyp']];
}

/** Build against this node's own headers (no download: the install may be offline). */
function nodedir() {
  if (process.env.npm_config_nodedir) return [];
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  return fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? [`--nodedir=${prefix}`] : [];
}

const [cmd, pre] = nodeGyp();
const r = spawnSync(cmd, [...pre, 'rebuild', '--directory', dir, ...nodedir()], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
if (r.status === 0 && fs.existsSync(path.join(dir, 'build', 'Release', 'humbridge_native.node'))) {
  console.log('humbridge: built the native addon (native/)');
} else {
  const lines = `${r.stdout ?? ''}\n${r.stderr ?? ''}`.split('\n');
  const why = r.error?.message ?? lines.find((l) => / error: /.test(l)) ?? lines.find((l) => /ERR! stack \w*Error/.test(l)) ?? `node-gyp exit ${r.status}`;
  console.log(`humbridge: the native addon was not built (${why}); mounts as a user and passthrough are unavailable, times are set to the microsecond, SEEK_DATA/SEEK_HOLE fall back to the kernel's; root mounts and 9P work`);
}
