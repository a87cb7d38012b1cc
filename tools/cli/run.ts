// Shared entry-point plumbing for the CLIs: turn known error kinds into a
// message and an exit status (2 for usage, 1 for anything else), never a stack
// trace for a user mistake.

import { OptionsError } from '../../src/options.js';
import { ServerOptionsError } from '../../ninep/server/options.js';
import { VfsError } from '../../src/errors.js';
import { MountError } from '../../fuse/mountpoint.js';
import { UsageError } from './args.js';

export async function runMain(program: string, main: () => Promise<number>): Promise<void> {
  // `humbridge ls … | head` closes the pipe early: that is the reader's choice, not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  try {
    process.exitCode = await main();
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${program}: ${e.message}\nTry '${program} --help'.\n`);
      process.exitCode = 2;
    } else if (e instanceof OptionsError || e instanceof ServerOptionsError) {
      process.stderr.write(`${program}: ${e.message}\n`);
      process.exitCode = 2;
    } else if (e instanceof MountError) {
      process.stderr.write(`${program}: ${e.message}\n`);
      process.exitCode = 1;
    } else if (e instanceof VfsError) {
      process.stderr.write(`${program}: ${e.where ?? e.op}: ${e.code}\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(`${program}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 1;
    }
  }
}
