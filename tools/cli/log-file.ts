// `--log FILE`: the log of a mount server appended to a file, one line per
// message with its time. A background mount has nobody reading its stderr once
// it is live, so without this its later messages (warnings, the reason it
// stopped) are lost, as sshfs's are without syslog.

import fs from 'node:fs';
import type { Logger } from '../../src/log.js';
import { UsageError } from './args.js';

export function fileLogger(file: string, opts: { debug: boolean }): Logger {
  let fd: number;
  try {
    fd = fs.openSync(file, 'a', 0o600);
  } catch (e) {
    throw new UsageError(`--log ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const write = (level: string) => (msg: string) => {
    try {
      fs.writeSync(fd, `${new Date().toISOString()} humbridge ${level}: ${msg}\n`);
    } catch {
      // A full disk must not stop the mount: the line is dropped.
    }
  };
  return {
    debug: opts.debug ? write('debug') : () => {},
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
  };
}
