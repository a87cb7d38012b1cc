// Shared by the humfs end-to-end suites: the three dialects, owner and mode
// changes spelled in each dialect's own way, and the host-side checks of
// data/ and the records.

import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import {
  DMSETGID,
  DMSETUID,
  DMSETVTX,
  NONUNAME,
  P9_SETATTR_GID,
  P9_SETATTR_MODE,
  P9_SETATTR_UID,
  type DialectName,
  type StatU,
} from '../../../ninep/index.js';
import { dontTouchStat, NinepError, type Client } from '../../../ninep/client/index.js';
import { recordText, type HostView } from './host-view.js';

export const DIALECTS: readonly DialectName[] = ['9P2000.L', '9P2000.u', '9P2000'];

/** Owner and group of the data/ entries the server makes: its own (it runs as this user). */
export const SERVER_UID = process.getuid?.() ?? 0;
export const SERVER_GID = process.getgid?.() ?? 0;

/** The error code a request failed with (undefined when it succeeded). */
export async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  if (e === undefined) return undefined;
  if (e instanceof NinepError) return e.code ?? e.ename;
  throw e;
}

/**
 * Changes owner and/or group in the dialect's own way: Tsetattr (.L), Twstat
 * n_uid/n_gid (.u), Twstat uid/gid names (9P2000: the server reads a decimal
 * name as that id).
 */
export async function chown(c: Client, fid: number, uid?: number, gid?: number): Promise<void> {
  if (c.dialect.name === '9P2000.L') {
    const valid = (uid !== undefined ? P9_SETATTR_UID : 0) | (gid !== undefined ? P9_SETATTR_GID : 0);
    await c.setattr(fid, { valid, uid: uid ?? 0, gid: gid ?? 0 });
    return;
  }
  const dotu = c.dialect.name === '9P2000.u';
  const st = dontTouchStat(dotu);
  if (dotu) {
    (st as StatU).n_uid = uid ?? NONUNAME;
    (st as StatU).n_gid = gid ?? NONUNAME;
  } else {
    st.uid = uid === undefined ? '' : String(uid);
    st.gid = gid === undefined ? '' : String(gid);
  }
  await c.wstat(fid, st);
}

/** Changes the permission bits (07777; 9P2000 has no setuid, setgid or sticky bit to send). */
export async function chmod(c: Client, fid: number, perm: number): Promise<void> {
  if (c.dialect.name === '9P2000.L') {
    await c.setattr(fid, { valid: P9_SETATTR_MODE, mode: perm });
    return;
  }
  const dotu = c.dialect.name === '9P2000.u';
  const st = dontTouchStat(dotu);
  st.mode = perm & 0o777;
  if (dotu) {
    if (perm & 0o4000) st.mode |= DMSETUID;
    if (perm & 0o2000) st.mode |= DMSETGID;
    if (perm & 0o1000) st.mode |= DMSETVTX;
  }
  st.mode >>>= 0;
  await c.wstat(fid, st);
}

/** A record's bytes on disk are exactly `line`. */
export function assertRecord(s: HostView, rel: string, line: string): void {
  assert.is(recordText(s, rel), line, `record of ${rel}`);
}

/** data/<rel> is an empty regular file (a placeholder) owned by the server's user. */
export function assertPlaceholder(s: HostView, rel: string): void {
  const st = fs.lstatSync(path.join(s.dir, rel));
  assert.ok(st.isFile(), `data/${rel} is a regular file`);
  assert.is(st.size, 0, `data/${rel} is empty`);
  assertServerOwned(s, rel);
}

/** data/<rel> belongs to the server's user, whatever the guest was told. */
export function assertServerOwned(s: HostView, rel: string): void {
  const st = fs.lstatSync(path.join(s.dir, rel));
  assert.is(st.uid, SERVER_UID, `data/${rel} owner`);
  assert.is(st.gid, SERVER_GID, `data/${rel} group`);
}
