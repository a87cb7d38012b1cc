// Guest checks a server is known to fail, with the reason, so the suite
// stays green for the reference server while the scripts stay complete.
// Measured against diod 1.0.24 (Debian 12) and the Debian 6.1 v9fs client.
import type { ServerKind } from './servers.js';

export const KNOWN_GAPS: Record<ServerKind, Readonly<Record<string, string>>> = {
  diod: {
    'unlink-while-open': 'diod fids are paths: fstat of an open, unlinked file fails ENOENT',
    'fcntl-locks-two-processes': 'diod locks whole files: a disjoint byte range is refused EAGAIN',
  },
  humbridge: {},
};

/** Run the cases a server is known not to support anyway (to watch them fail). */
export function runUnsupported(): boolean {
  return process.env['HUMBRIDGE_GUEST_ALL_CASES'] === '1';
}
