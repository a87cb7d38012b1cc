#!/usr/bin/env node
// humfsify: convert a host tree to the UML humfs layout (data/, file_metadata/,
// dir_metadata/, superblock) and back. See tools/humfsify/convert.ts.
import fs from 'node:fs';
import { main } from './humfsify/main.js';
import { processOutput } from './humfsify/report.js';

function packageVersion(): string {
  try {
    const pkg: unknown = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    const v = (pkg as { version?: unknown }).version;
    return typeof v === 'string' ? v : 'unknown';
  } catch {
    return 'unknown';
  }
}

main(process.argv.slice(2), processOutput(), process.cwd(), packageVersion()).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`humfsify: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 70;
  },
);
