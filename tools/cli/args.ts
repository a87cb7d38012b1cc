// A small declarative argv parser: each flag is described once (name, kind,
// help) and parsed into a plain record. Commands map that record onto their
// typed options objects field by field, so every flag has exactly one home.

export type FlagKind = 'boolean' | 'string' | 'integer' | 'list';

export interface FlagSpec {
  /** Long name without dashes, e.g. "readonly". */
  name: string;
  kind: FlagKind;
  /** One-letter alias without the dash. */
  short?: string;
  /** Placeholder shown in help, e.g. "N" or "tcp:HOST:PORT". */
  arg?: string;
  help: string;
}

export type FlagValue = boolean | string | number | string[];

export interface ParsedArgs {
  flags: Map<string, FlagValue>;
  positionals: string[];
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Parse argv against specs. `--` ends flags; `--flag=value` and `--flag value` both work. */
export function parseArgs(argv: readonly string[], specs: readonly FlagSpec[]): ParsedArgs {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short !== undefined).map((s) => [s.short as string, s]));
  const flags = new Map<string, FlagValue>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    let spec: FlagSpec | undefined;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq < 0 ? undefined : arg.slice(eq + 1);
      spec = byName.get(name);
      if (spec === undefined) throw new UsageError(`unknown option --${name}`);
    } else if (arg.startsWith('-') && arg.length === 2) {
      spec = byShort.get(arg.slice(1));
      if (spec === undefined) throw new UsageError(`unknown option ${arg}`);
    } else {
      positionals.push(arg);
      continue;
    }
    if (spec.kind === 'boolean') {
      if (inline !== undefined) throw new UsageError(`--${spec.name} takes no value`);
      flags.set(spec.name, true);
      continue;
    }
    let value = inline;
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new UsageError(`--${spec.name} needs a value${spec.arg ? ` (${spec.arg})` : ''}`);
    }
    flags.set(spec.name, convert(spec, value, flags.get(spec.name)));
  }
  return { flags, positionals };
}

function convert(spec: FlagSpec, value: string, previous: FlagValue | undefined): FlagValue {
  switch (spec.kind) {
    case 'integer': {
      if (!/^(0x[0-9a-f]+|0o?[0-7]+|[0-9]+)$/i.test(value)) throw new UsageError(`--${spec.name}: "${value}" is not a whole number`);
      return parseInteger(value);
    }
    case 'list':
      return [...(Array.isArray(previous) ? previous : []), value];
    default:
      return value;
  }
}

/** Decimal, 0x hex, or 0/0o octal (modes are written 0644). */
export function parseInteger(text: string): number {
  if (/^0x/i.test(text)) return parseInt(text.slice(2), 16);
  if (/^0o/i.test(text)) return parseInt(text.slice(2), 8);
  if (/^0[0-7]+$/.test(text)) return parseInt(text.slice(1), 8);
  return parseInt(text, 10);
}

/** Help text lines for a flag table, aligned. */
export function formatFlags(specs: readonly FlagSpec[]): string {
  const left = specs.map((s) => `${s.short ? `-${s.short}, ` : '    '}--${s.name}${s.arg ? ` ${s.arg}` : ''}`);
  const width = Math.max(...left.map((l) => l.length)) + 2;
  return specs.map((s, i) => `  ${(left[i] as string).padEnd(width)}${s.help}`).join('\n');
}

export function getBool(args: ParsedArgs, name: string): boolean {
  return args.flags.get(name) === true;
}

export function getString(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

export function getInt(args: ParsedArgs, name: string): number | undefined {
  const v = args.flags.get(name);
  return typeof v === 'number' ? v : undefined;
}

export function getList(args: ParsedArgs, name: string): string[] {
  const v = args.flags.get(name);
  return Array.isArray(v) ? v : [];
}

/** UsageError when a flag of `specs` (another command's) was given. */
export function rejectFlags(args: ParsedArgs, specs: readonly FlagSpec[], owner: string): void {
  const given = specs.find((s) => args.flags.has(s.name));
  if (given !== undefined) throw new UsageError(`--${given.name} applies to ${owner} only`);
}
