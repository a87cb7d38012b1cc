// humfsify's top level: arguments → one command → summary and exit status.
//   0  done (--check: no problem left)
//   1  an error (nothing changed, unless the message says otherwise), or
//      --check found problems it did not repair
//   2  bad usage
import fs from 'node:fs';
import { USAGE, UsageError, parseArgs, type HumfsifyOptions } from './args.js';
import { check } from './check.js';
import { convert } from './convert.js';
import { HumfsifyError, codeOf } from './errors.js';
import { Progress, printSummary, verboseLog, type Output, type Summary } from './report.js';
import { reverse } from './reverse.js';

export async function main(argv: readonly string[], io: Output, cwd: string, version: string): Promise<number> {
  let o: HumfsifyOptions;
  try {
    o = parseArgs(argv, cwd);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.err(`humfsify: ${e.message}\n${USAGE}\n`);
    return 2;
  }
  if (o.command === 'help') {
    io.out(`${USAGE}\n`);
    return 0;
  }
  if (o.command === 'version') {
    io.out(`humfsify (humbridge) ${version}\n`);
    return 0;
  }
  const progress = new Progress(io, o.progress === 'always' || (o.progress === 'auto' && io.errIsTTY));
  const verbose = verboseLog(io, o.verbose, progress);
  const started = io.now();
  let summary: Summary;
  try {
    if (!fs.existsSync(o.dir)) throw new HumfsifyError(`${o.dir}: no such directory`);
    if (o.command === 'convert') summary = await convert(o, progress, verbose);
    else if (o.command === 'reverse') summary = await reverse(o, progress, verbose);
    else summary = check(o, progress, verbose);
  } catch (e) {
    progress.clear();
    // A host error (EACCES, ENOSPC, ...) part way is reported, not dumped as a stack.
    if (!(e instanceof HumfsifyError) && codeOf(e) === undefined) throw e;
    const message = e instanceof HumfsifyError ? e.message : `stopped: ${(e as Error).message}`;
    if (o.json) io.out(`${JSON.stringify({ ok: false, command: o.command, dir: o.dir, error: message })}\n`);
    io.err(`humfsify: ${message}\n`);
    return 1;
  }
  progress.clear();
  summary.elapsedMs = Math.round(io.now() - started);
  printSummary(io, summary, o.json);
  if (o.command === 'check' && summary.problems.some((x) => !x.repaired)) return 1;
  return 0;
}
