// Inotify watches a process holds, as its /proc/PID/fdinfo lists them.

import fs from 'node:fs';

export function inotifyWatches(pid: number): number {
  let n = 0;
  for (const fd of fs.readdirSync(`/proc/${pid}/fdinfo`)) {
    try {
      n += fs.readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'latin1').split('\n').filter((l) => l.startsWith('inotify wd:')).length;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}
