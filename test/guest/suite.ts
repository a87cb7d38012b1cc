// What every *.guest.ts file shares: prerequisite gating, the list of
// servers to test, and a fixture that gives a case a fresh export tree with
// a server on it, torn down however the case ends.
//
// Gating: without QEMU or a buildable guest image the cases are skipped with
// the reason printed, except under HUMBRIDGE_REQUIRE_ALL=1, where they fail.
// HUMBRIDGE_GUEST_SERVERS (default "diod,humbridge") picks the servers.
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Test } from 'uvu';
import { gated, type Missing } from '../helpers/gate.js';
import { ensureGuestImage, type GuestImage } from './image.js';
import { onPath } from './proc.js';
import { serverUnavailable, startServer, type Listen, type NinepServer, type ServerKind, type ServerOptions } from './servers.js';

export interface GuestPrereqs {
  image: GuestImage | undefined;
  /** Why guest tests cannot run here. */
  missing: string | undefined;
}

/** Checks QEMU and builds (or finds) the guest image. Never throws. */
export async function guestPrereqs(): Promise<GuestPrereqs> {
  if (!(await onPath('qemu-system-x86_64'))) return { image: undefined, missing: 'qemu-system-x86_64 is not installed' };
  try {
    return { image: await ensureGuestImage((m) => console.log(`guest: ${m}`)), missing: undefined };
  } catch (e) {
    return { image: undefined, missing: `no guest image: ${(e as Error).message}` };
  }
}

export function selectedServers(): ServerKind[] {
  const raw = process.env['HUMBRIDGE_GUEST_SERVERS'] ?? 'diod,humbridge';
  const kinds = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const k of kinds) if (k !== 'diod' && k !== 'humbridge') throw new Error(`HUMBRIDGE_GUEST_SERVERS: unknown server ${k}`);
  return kinds as ServerKind[];
}

/** The line every case that ran prints, pass or fail, for collecting run times: "guest-case NAME SECONDS". */
export function timingLine(name: string, ms: number): string {
  return `guest-case ${name} ${(ms / 1000).toFixed(1)}`;
}

/**
 * Registers a case through the common gate (test/helpers/gate.ts): runs it
 * when nothing is missing (printing its timingLine), otherwise skips it
 * (printing why) or, under HUMBRIDGE_REQUIRE_ALL=1, fails it with the reason.
 */
export function guestCase(suite: Test, name: string, missing: Missing, fn: () => Promise<void>): void {
  gated(suite, name, missing, async () => {
    const t0 = Date.now();
    try {
      await fn();
    } finally {
      // uvu prints each finished case's dot with no newline: start a line of our own.
      process.stdout.write(`\n${timingLine(name, Date.now() - t0)}\n`);
    }
  });
}

/** Why `kind` cannot be tested here: the guest's reason first, then the server's. */
export async function missingFor(prereqs: GuestPrereqs, kind: ServerKind): Promise<string | undefined> {
  return prereqs.missing ?? (await serverUnavailable(kind));
}

/** A case's world: a temporary root holding the export, a canary beside it, and a server. */
export interface Fixture {
  /** Parent of the export; only the test writes here. */
  root: string;
  exportDir: string;
  /** A file outside the export that no guest must read or change. */
  canary: string;
  canaryText: string;
  server: NinepServer;
}

/**
 * Builds a fresh tree, lets `prepare` fill the export, starts the server
 * (with `serverOptions` beyond `listen`), runs `body`, and stops the server
 * and removes the tree whatever happens.
 */
export async function withFixture(
  kind: ServerKind,
  listen: Listen,
  prepare: (exportDir: string) => Promise<void>,
  body: (f: Fixture) => Promise<void>,
  serverOptions: Omit<ServerOptions, 'listen'> = {},
): Promise<void> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'hb-guest-export-'));
  let server: NinepServer | undefined;
  try {
    // The Linux client's first attach is as "nobody": diod needs every
    // parent of the export searchable by others.
    await chmod(root, 0o755);
    const exportDir = path.join(root, 'export');
    await mkdir(exportDir, { mode: 0o755 });
    await chmod(exportDir, 0o755);
    const canary = path.join(root, 'canary');
    const canaryText = `canary ${path.basename(root)}\n`;
    await writeFile(canary, canaryText, { mode: 0o644 });
    await prepare(exportDir);
    server = await startServer(kind, exportDir, { ...serverOptions, listen });
    await body({ root, exportDir, canary, canaryText, server });
  } finally {
    await server?.stop();
    await rm(root, { recursive: true, force: true });
  }
}
