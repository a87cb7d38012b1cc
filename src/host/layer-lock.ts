// One user of a layer at a time: a server (serve, mount) or a merge. Two
// servers on one layer would each keep their own idea of it, and a merge
// under a server would empty the upper tree it is writing. The lock is a
// file made with O_EXCL holding "<pid> <what>"; one whose process is gone
// (killed, crashed) is taken over. Node has no flock(2), and a pid is what
// the refusal can name.

import fs from 'node:fs';
import path from 'node:path';
import { COW_LAYOUT, CowLayoutError } from '../cow/layout.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes `layer` for `what` ("serving", "merging"); returns the release. Throws CowLayoutError naming the holder. */
export function lockLayer(layer: string, what: string): () => void {
  const file = path.join(layer, COW_LAYOUT.lock);
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(file, `${process.pid} ${what}\n`, { flag: 'wx', mode: 0o644 });
      let held = true;
      return () => {
        if (held) fs.rmSync(file, { force: true });
        held = false;
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw e;
    }
    let text = '';
    try {
      text = fs.readFileSync(file, 'utf8').trim();
    } catch {
      // Released between our attempt and this read: try again.
    }
    const [pidText, ...rest] = text.split(' ');
    const pid = Number(pidText);
    if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
      throw new CowLayoutError(`the layer ${layer} is in use: process ${pid} is ${rest.join(' ') || 'using it'} (stop it first)`);
    }
    fs.rmSync(file, { force: true });
  }
}
