// Where the harness finds its non-TypeScript files (guest init, case
// scripts, helper source: tsc does not copy them into dist/) and where it
// caches the guest image.
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest ancestor of this module holding package.json. */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('guest harness: no package.json above the harness');
    dir = up;
  }
  return dir;
}

/** test/guest/ in the source tree. */
export function guestSourceDir(): string {
  return path.join(repoRoot(), 'test', 'guest');
}

/**
 * The image cache: $HUMBRIDGE_GUEST_CACHE, else /var/cache/humbridge-guest
 * for root, else $XDG_CACHE_HOME (or ~/.cache)/humbridge-guest.
 */
export function guestCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env['HUMBRIDGE_GUEST_CACHE']) return env['HUMBRIDGE_GUEST_CACHE'];
  if (process.getuid?.() === 0) return '/var/cache/humbridge-guest';
  const base = env['XDG_CACHE_HOME'] || path.join(os.homedir(), '.cache');
  return path.join(base, 'humbridge-guest');
}
