#!/usr/bin/env node
// humbridge: the command line. argv → typed options → one command.

import { statSync } from 'node:fs';
import path from 'node:path';
import { formatFlags, getBool, getInt, getString, parseArgs, rejectFlags, UsageError, type FlagSpec } from './cli/args.js';
import { EXPORT_FLAGS, exportFirst, exportOptionsFromArgs } from './cli/export-flags.js';
import { runMain } from './cli/run.js';
import { packageVersion } from './cli/version.js';
import { stderrLogger } from '../src/log.js';
import { fileLogger } from './cli/log-file.js';
import { listCommand } from './commands/ls.js';
import { ninepCommand } from './commands/ninep-client.js';
import { cowCommand } from './commands/cow.js';
import { HIDDEN_MOUNT_FLAGS, MOUNT_FLAGS, mountSettingsFromArgs, O_HELP, UMOUNT_FLAGS } from './cli/mount-options.js';
import { mountBackground, mountForeground, mountPaths, umountCommand, withAccess } from './commands/mount.js';
import { namedExports, parseListen, peerPolicyFromArgs, serveCommand, serverOptionsFromArgs, SERVE_FLAGS } from './commands/serve.js';

const COMMON_FLAGS: readonly FlagSpec[] = [
  { name: 'help', short: 'h', kind: 'boolean', help: 'show this help' },
  { name: 'version', short: 'V', kind: 'boolean', help: 'print the version' },
  { name: 'trace', kind: 'boolean', help: 'log every operation to stderr' },
];

const USAGE = `humbridge — share host directory trees with VMs (9P) and the local system

Usage:
  humbridge ls EXPORT [PATH] [options]   list PATH of EXPORT as the VFS serves it
  humbridge 9p [options] VERB PATH...    9P client: ls stat cat put mkdir rm rename (9p --help)
  humbridge serve DIR [options]          serve DIR over 9P (9P2000.L, 9P2000.u, 9P2000)
  humbridge serve --base BASE --cow LAYER [--force] [options]
                                         serve BASE with LAYER's changes on top (copy-on-write)
  humbridge mount EXPORT MOUNTPOINT [options]   mount EXPORT here with FUSE (root; mount --help)
  humbridge mount --base BASE --cow LAYER [--force] MOUNTPOINT [options]
  humbridge umount [-l] MOUNTPOINT       unmount a humbridge mount
  humbridge cow new|diff|merge ...       copy-on-write layers over a base tree (cow --help)

Export options:
${formatFlags(EXPORT_FLAGS)}

Serve options:
${formatFlags(SERVE_FLAGS)}

Mount options (-o options: humbridge mount --help):
${formatFlags([...MOUNT_FLAGS, ...UMOUNT_FLAGS])}

Common options:
${formatFlags(COMMON_FLAGS)}
`;

const MOUNT_USAGE = `humbridge mount — serve a directory tree through the kernel's FUSE

Usage:
  humbridge mount EXPORT MOUNTPOINT [options]   (as root)
  humbridge mount --base BASE --cow LAYER [--force] MOUNTPOINT [options]
  humbridge umount [-l] MOUNTPOINT

By default mount returns once the mount is live and serves it in the
background; -f keeps it in the foreground. SIGINT/SIGTERM unmount and end the
server, and the server ends by itself when the mount is unmounted
(humbridge umount, umount(8)). Mounts are nosuid,nodev unless -o suid / -o dev.
--access client (default) lets the kernel check permissions
(default_permissions); --access user leaves them to humbridge per caller.

Mount options:
${formatFlags([...MOUNT_FLAGS, ...UMOUNT_FLAGS])}

-o options:
${O_HELP}

Export options:
${formatFlags(EXPORT_FLAGS)}

Common options:
${formatFlags(COMMON_FLAGS)}
`;

async function main(argv: string[]): Promise<number> {
  // `9p` parses its own flags: its --version names a protocol dialect; `cow` has its own.
  if (argv[0] === '9p') return ninepCommand(argv.slice(1), process);
  if (argv[0] === 'cow') return cowCommand(argv.slice(1), process);
  const args = parseArgs(argv, [...COMMON_FLAGS, ...EXPORT_FLAGS, ...SERVE_FLAGS, ...MOUNT_FLAGS, ...UMOUNT_FLAGS, ...HIDDEN_MOUNT_FLAGS]);
  if (getBool(args, 'help')) {
    const first = args.positionals[0];
    process.stdout.write(first === 'mount' || first === 'umount' ? MOUNT_USAGE : USAGE);
    return 0;
  }
  if (getBool(args, 'version')) {
    process.stdout.write(`humbridge ${packageVersion()}\n`);
    return 0;
  }
  const [command, ...rest] = args.positionals;
  const logger = stderrLogger({ debug: getBool(args, 'trace') });
  if (command !== 'mount') rejectFlags(args, [...MOUNT_FLAGS, ...HIDDEN_MOUNT_FLAGS], 'mount');
  if (command !== 'umount') rejectFlags(args, UMOUNT_FLAGS, 'umount');
  if (command === 'mount' || command === 'umount') rejectFlags(args, SERVE_FLAGS, 'serve');
  switch (command) {
    case 'ls': {
      const [exportPath, target = '/', ...extra] = exportFirst(args, rest, 'ls');
      if (exportPath === undefined) throw new UsageError('ls needs an EXPORT directory');
      if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
      requireDirectory(exportPath);
      // One listing and out: nothing to watch.
      await listCommand({ ...exportOptionsFromArgs(args, exportPath, logger), watch: false }, target, process.stdout);
      return 0;
    }
    case 'serve': {
      const [dir, ...extra] = exportFirst(args, rest, 'serve');
      if (dir === undefined) throw new UsageError('serve needs a DIR to serve');
      if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
      const server = serverOptionsFromArgs(args, getBool(args, 'trace'), logger);
      const listen = parseListen(getString(args, 'listen'));
      const peers = peerPolicyFromArgs(args, listen);
      const exportOf = (name: string, path: string) => {
        requireDirectory(path);
        return { name, options: exportOptionsFromArgs(args, path, logger) };
      };
      const exports = [exportOf('', dir), ...namedExports(args).map((e) => exportOf(e.name, e.dir))];
      return serveCommand({ exports, listen, server, peers, logger });
    }
    case 'mount': {
      const { exportDir, mountpoint } = mountPaths(exportFirst(args, rest, 'mount'));
      requireDirectory(exportDir);
      const exportOptions = exportOptionsFromArgs(args, exportDir, logger);
      const settings = withAccess(mountSettingsFromArgs(args), exportOptions.access);
      if (!getBool(args, 'foreground')) return mountBackground(argv);
      const readyFd = getInt(args, 'ready-fd');
      const logFile = getString(args, 'log');
      const mountLogger = logFile === undefined ? logger : fileLogger(path.resolve(logFile), { debug: getBool(args, 'trace') });
      // A background server holds no folder busy.
      if (readyFd !== undefined) process.chdir('/');
      const options = settings.readonly ? { ...exportOptions, readonly: true } : exportOptions;
      return mountForeground({ export: options, mountpoint, settings, logger: mountLogger, readyFd });
    }
    case 'umount': {
      const [mountpoint, ...extra] = rest;
      if (mountpoint === undefined) throw new UsageError('umount needs a MOUNTPOINT');
      if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
      return umountCommand(mountpoint, getBool(args, 'lazy'));
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
