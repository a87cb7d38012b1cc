// The one skip-or-fail gate for tests that need something a machine may lack
// (root, a Debian program, QEMU). A test file checks its prerequisites when
// it loads and registers each such case through gated(): with the
// prerequisite there the case runs as usual; without it the case is
// registered with uvu's skip (uvu counts it under "Skipped", and so does the
// closing line of scripts/test.mjs) and the reason is printed; under
// HUMBRIDGE_REQUIRE_ALL=1 (CI) it fails with the reason instead.
//
//   const noDiod = needProgram('diod', 'diod');
//   gated(test, 'diod answers', noDiod, async () => { ... });

import fs from 'node:fs';
import type { Callback, Test } from 'uvu';
import { findProgram } from '../../tools/bench/servers.js';

/** undefined when a prerequisite is there, else why it is missing (printed as is). */
export type Missing = string | undefined;

export function requireAll(): boolean {
  return process.env['HUMBRIDGE_REQUIRE_ALL'] === '1';
}

/** The first reason of several checks, or undefined when nothing is missing. */
export function firstMissing(...reasons: readonly Missing[]): Missing {
  return reasons.find((r) => r !== undefined);
}

/** Root, for `why` (chown to other ids, device nodes, starting children as another user). */
export function needRoot(why: string): Missing {
  return process.getuid?.() === 0 ? undefined : `needs root to ${why}`;
}

/** A program on PATH (or in an sbin folder) from Debian package `pkg`. */
export function needProgram(program: string, pkg: string): Missing {
  return findProgram(program) !== undefined ? undefined : `${program} is not installed (Debian package ${pkg}; scripts/setup.sh installs it)`;
}

/** A file from Debian package `pkg`. */
export function needFile(file: string, pkg: string): Missing {
  return fs.existsSync(file) ? undefined : `${file} is missing (Debian package ${pkg}; scripts/setup.sh installs it)`;
}

/**
 * Registers `name` on `suite`: runs `fn` when `missing` is undefined;
 * otherwise skips it with the reason printed or, under
 * HUMBRIDGE_REQUIRE_ALL=1, registers a case that fails with the reason.
 */
export function gated<T>(suite: Test<T>, name: string, missing: Missing, fn: Callback<T>): void {
  if (missing === undefined) {
    suite(name, fn);
  } else if (requireAll()) {
    suite(name, () => {
      throw new Error(`prerequisite missing (HUMBRIDGE_REQUIRE_ALL=1): ${missing}`);
    });
  } else {
    console.log(`skip "${name}": ${missing}`);
    suite.skip(name, fn);
  }
}
