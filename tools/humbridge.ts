#!/usr/bin/env node
// humbridge: the command line. argv → typed options → one command.

import { statSync } from 'node:fs';
import { formatFlags, getBool, parseArgs, UsageError, type FlagSpec } from './cli/args.js';
import { EXPORT_FLAGS, exportOptionsFromArgs } from './cli/export-flags.js';
import { runMain } from './cli/run.js';
import { packageVersion } from './cli/version.js';
import { stderrLogger } from '../src/log.js';
import { listCommand } from './commands/ls.js';

const COMMON_FLAGS: readonly FlagSpec[] = [
  { name: 'help', short: 'h', kind: 'boolean', help: 'show this help' },
  { name: 'version', short: 'V', kind: 'boolean', help: 'print the version' },
  { name: 'trace', kind: 'boolean', help: 'log every operation to stderr' },
];

const USAGE = `humbridge — share host directory trees with VMs (9P) and the local system

Usage:
  humbridge ls EXPORT [PATH] [options]   list PATH of EXPORT as the VFS serves it

Export options:
${formatFlags(EXPORT_FLAGS)}

Common options:
${formatFlags(COMMON_FLAGS)}
`;

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv, [...COMMON_FLAGS, ...EXPORT_FLAGS]);
  if (getBool(args, 'help')) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (getBool(args, 'version')) {
    process.stdout.write(`humbridge ${packageVersion()}\n`);
    return 0;
  }
  const [command, ...rest] = args.positionals;
  const logger = stderrLogger({ debug: getBool(args, 'trace') });
  switch (command) {
    case 'ls': {
      const [exportPath, target = '/', ...extra] = rest;
      if (exportPath === undefined) throw new UsageError('ls needs an EXPORT directory');
      if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
      requireDirectory(exportPath);
      await listCommand(exportOptionsFromArgs(args, exportPath, logger), target, process.stdout);
      return 0;
    }
    case undefined:
      throw new UsageError('no command given');
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

function requireDirectory(path: string): void {
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    throw new UsageError(`${path}: no such directory`);
  }
  if (!isDir) throw new UsageError(`${path}: not a directory`);
}

await runMain('humbridge', () => main(process.argv.slice(2)));
