// Gating for tests that need a program from outside the project: skip with
// the reason printed, or, under HUMBRIDGE_REQUIRE_ALL=1 (CI), fail with it.

import { findProgram } from '../../../tools/bench/servers.js';

/** The program's path, or undefined after printing why the test is skipped. Throws under HUMBRIDGE_REQUIRE_ALL=1. */
export function requireProgram(testName: string, program: string, pkg: string): string | undefined {
  const found = findProgram(program);
  if (found !== undefined) return found;
  const reason = `${program} is not installed (Debian package ${pkg}; scripts/setup.sh installs it)`;
  if (process.env['HUMBRIDGE_REQUIRE_ALL'] === '1') throw new Error(`${testName}: ${reason}`);
  console.log(`  skipped "${testName}": ${reason}`);
  return undefined;
}
