// Command line of humfsify. Compatible with the original:
//   humfsify user group size     (in the folder holding data/)
//   humfsify -r
// plus our own flags. Parsing only: no I/O here.

export type Command = 'convert' | 'reverse' | 'check' | 'help' | 'version';

export interface HumfsifyOptions {
  command: Command;
  /** Folder holding data/ (and the metadata); -C DIR, else the working directory. */
  dir: string;
  user: string;
  group: string;
  size: string;
  dryRun: boolean;
  /** --check: fix what it finds. */
  repair: boolean;
  verbose: boolean;
  json: boolean;
  /** Go on although a superblock or metadata exists (existing records are kept). */
  force: boolean;
  /** Leave host device nodes in data/ as they are (the original does) instead of placeholders. */
  keepDevices: boolean;
  /** Progress line on stderr: 'auto' = when stderr is a terminal. */
  progress: 'auto' | 'always' | 'never';
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const USAGE = `Usage: humfsify [options] USER GROUP SIZE    convert data/ to the humfs layout
       humfsify [options] -r                   convert back (restore owners, modes, special files)
       humfsify [options] --check [--repair]   find (and fix) inconsistencies

Run in the folder that holds data/ (or name it with -C). USER and GROUP are
names or numbers: the host owner data/ gets. SIZE is the filesystem size in
bytes, or with a K, M, G or T suffix (powers of 1024).

Options:
  -C, --directory DIR  work in DIR instead of the current directory
  -r, --reverse        convert back to a plain tree and remove the metadata
      --check          report inconsistencies between data/ and the metadata
      --repair         with --check: fix them
  -n, --dry-run        validate and report, change nothing
      --force          go on when a superblock or metadata already exists;
                       existing records are kept, missing ones are added
      --keep-devices   leave host device nodes in data/ (default: replace each
                       by a placeholder file, its type kept in the metadata)
  -v, --verbose        one line per entry changed, on stderr
      --json           a machine-readable summary on stdout
      --progress / --no-progress
                       progress line on stderr (default: when it is a terminal)
  -h, --help           this text
  -V, --version        the version`;

/** Parses argv (without node and script). Throws UsageError. */
export function parseArgs(argv: readonly string[], cwd: string): HumfsifyOptions {
  const o: HumfsifyOptions = {
    command: 'convert',
    dir: cwd,
    user: '',
    group: '',
    size: '',
    dryRun: false,
    repair: false,
    verbose: false,
    json: false,
    force: false,
    keepDevices: false,
    progress: 'auto',
  };
  const positional: string[] = [];
  let reverse = false;
  let check = false;
  let help = false;
  let version = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (a === '-C' || a === '--directory') {
      const v = argv[++i];
      if (v === undefined || v === '') throw new UsageError(`${a} needs a directory`);
      o.dir = v;
      continue;
    }
    if (a.startsWith('--directory=')) {
      o.dir = a.slice('--directory='.length);
      if (o.dir === '') throw new UsageError('--directory needs a directory');
      continue;
    }
    switch (a) {
      case '-r':
      case '--reverse':
        reverse = true;
        break;
      case '--check':
        check = true;
        break;
      case '--repair':
        o.repair = true;
        break;
      case '-n':
      case '--dry-run':
        o.dryRun = true;
        break;
      case '--force':
        o.force = true;
        break;
      case '--keep-devices':
        o.keepDevices = true;
        break;
      case '-v':
      case '--verbose':
        o.verbose = true;
        break;
      case '--json':
        o.json = true;
        break;
      case '--progress':
        o.progress = 'always';
        break;
      case '--no-progress':
        o.progress = 'never';
        break;
      case '-h':
      case '--help':
        help = true;
        break;
      case '-V':
      case '--version':
        version = true;
        break;
      default:
        // A lone "-" or a negative-looking number is positional ("-1" is no
        // valid size, but the size check says so more clearly).
        if (a.startsWith('-') && a !== '-' && !/^-[0-9]/.test(a)) throw new UsageError(`unknown option ${a}`);
        positional.push(a);
    }
  }
  if (help) return { ...o, command: 'help' };
  if (version) return { ...o, command: 'version' };
  if (reverse && check) throw new UsageError('-r and --check cannot be combined');
  if (o.repair && !check) throw new UsageError('--repair goes with --check');
  if (reverse || check) {
    if (positional.length > 0) throw new UsageError(`${reverse ? '-r' : '--check'} takes no USER GROUP SIZE (got "${positional.join(' ')}")`);
    if (o.keepDevices && check) throw new UsageError('--keep-devices goes with a conversion');
    return { ...o, command: reverse ? 'reverse' : 'check' };
  }
  if (positional.length !== 3) {
    throw new UsageError(positional.length < 3 ? 'USER GROUP SIZE are needed' : `too many arguments: ${positional.slice(3).join(' ')}`);
  }
  const [user, group, size] = positional as [string, string, string];
  return { ...o, command: 'convert', user, group, size };
}
