// What humfsify tells its user: a progress line on stderr (a terminal only,
// unless asked), one line per change with --verbose, and the summary (text,
// or JSON on stdout with --json).
import { showPath } from './errors.js';

export interface Output {
  out(text: string): void;
  err(text: string): void;
  /** Whether stderr is a terminal (progress is drawn only there by default). */
  errIsTTY: boolean;
  /** Milliseconds, monotonic. */
  now(): number;
}

export function processOutput(): Output {
  return {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    errIsTTY: process.stderr.isTTY === true,
    now: () => performance.now(),
  };
}

/** A progress line redrawn at most a few times a second: entries done, rate and time left. */
export class Progress {
  private done = 0;
  private total = 0;
  private phase = '';
  private started = 0;
  private lastDraw = 0;
  private drawn = false;

  constructor(
    private readonly io: Output,
    private readonly enabled: boolean,
    /** The name the line starts with. */
    private readonly program = 'humfsify',
  ) {}

  start(phase: string, total: number): void {
    this.phase = phase;
    this.total = total;
    this.done = 0;
    this.started = this.io.now();
    // The first entry draws at once, so that even a short phase shows up.
    this.lastDraw = -Infinity;
  }

  tick(): void {
    this.done++;
    // Look at the clock only every 256 entries: it is cheap, not free.
    if (!this.enabled || ((this.done & 0xff) !== 0 && this.done !== 1)) return;
    const now = this.io.now();
    if (now - this.lastDraw < 250) return;
    this.lastDraw = now;
    this.draw(now);
  }

  /** Clears the line before other text goes to stderr, and at the end. */
  clear(): void {
    if (this.drawn) this.io.err('\r\x1b[K');
    this.drawn = false;
  }

  private draw(now: number): void {
    const secs = (now - this.started) / 1000;
    const rate = secs > 0 ? this.done / secs : 0;
    const left = rate > 0 && this.total > this.done ? ` ~${formatSecs((this.total - this.done) / rate)} left` : '';
    const of = this.total > 0 ? `/${this.total}` : '';
    this.io.err(`\r\x1b[K${this.program}: ${this.phase}: ${this.done}${of} entries, ${Math.round(rate)}/s${left}`);
    this.drawn = true;
  }
}

function formatSecs(s: number): string {
  if (s < 60) return `${Math.ceil(s)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.ceil(s % 60)).padStart(2, '0')}s`;
}

/** One problem found by --check or before a conversion. */
export interface Problem {
  kind: string;
  path: string;
  detail: string;
  repaired: boolean;
}

/** Counters every command fills; printed as text or JSON at the end. */
export interface Summary {
  command: string;
  dir: string;
  dryRun: boolean;
  entries: number;
  directories: number;
  files: number;
  symlinks: number;
  /** Device nodes, FIFOs, sockets (real host nodes or placeholders). */
  specials: number;
  /** Names beyond the first of a hard-linked inode. */
  hardLinks: number;
  /** Host device nodes replaced by placeholder files (convert) or recreated (reverse). */
  placeholders: number;
  recordsWritten: number;
  recordsKept: number;
  used?: string;
  total?: string;
  problems: Problem[];
  elapsedMs: number;
}

export function emptySummary(command: string, dir: string, dryRun: boolean): Summary {
  return {
    command,
    dir,
    dryRun,
    entries: 0,
    directories: 0,
    files: 0,
    symlinks: 0,
    specials: 0,
    hardLinks: 0,
    placeholders: 0,
    recordsWritten: 0,
    recordsKept: 0,
    problems: [],
    elapsedMs: 0,
  };
}

export function countEntry(s: Summary, mode: number): void {
  s.entries++;
  const type = mode & 0o170000;
  if (type === 0o040000) s.directories++;
  else if (type === 0o100000) s.files++;
  else if (type === 0o120000) s.symlinks++;
  else s.specials++;
}

/** Verbose per-entry lines, or nothing. */
export interface Verbose {
  (what: string, p: Buffer | string): void;
}

export function verboseLog(io: Output, enabled: boolean, progress: Progress): Verbose {
  if (!enabled) return () => {};
  return (what, p) => {
    progress.clear();
    io.err(`humfsify: ${what} ${showPath(p)}\n`);
  };
}

export function printSummary(io: Output, s: Summary, json: boolean): void {
  if (json) {
    io.out(`${JSON.stringify({ ok: true, ...s })}\n`);
    return;
  }
  for (const p of s.problems) io.out(`${p.repaired ? 'repaired' : 'problem'}: ${p.kind}: ${p.path}: ${p.detail}\n`);
  const would = s.dryRun ? ' (dry run: nothing changed)' : '';
  const kinds = `${s.directories} directories, ${s.files} files, ${s.symlinks} symlinks, ${s.specials} special files, ${s.hardLinks} extra hard links`;
  io.err(`humfsify: ${s.command}: ${s.entries} entries (${kinds})${would}\n`);
  if (s.placeholders > 0) {
    const verb = s.command === 'reverse' ? 'special files recreated' : 'host device nodes replaced by placeholder files';
    io.err(`humfsify: ${s.placeholders} ${verb}\n`);
  }
  if (s.command === 'check') {
    const open = s.problems.filter((p) => !p.repaired).length;
    io.err(`humfsify: check: ${s.problems.length} problem(s), ${s.problems.length - open} repaired\n`);
  }
}
