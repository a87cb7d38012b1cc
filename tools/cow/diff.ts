// `humbridge cow diff`: what a layer changes relative to its base, as the
// guest sees it, in path order. In humfs mode the host trees are humfs trees:
// data/ paths are the guest's paths, and a metadata record in the layer
// without its data entry is a change of mode, owner or device only.

import fs from 'node:fs';
import path from 'node:path';
import { comparePaths, walkLayer, type LayerEntry } from './changes.js';
import { upperOf, type CowManifest } from '../../src/cow/layout.js';
import { HUMFS_LAYOUT, parseMetadata, type MetadataRecord } from '../../src/meta/humfs-format.js';
import { changedFields, entryType, type ChangeField, type EntryType } from './compare.js';

export type ChangeKind = 'added' | 'changed' | 'deleted' | 'replaced';

export interface Change {
  /** The guest's path, '/'-separated, with a leading '/'. */
  path: Buffer;
  change: ChangeKind;
  /** The entry's type in the layer (for `deleted`, in the base). */
  type: EntryType;
  /** For `changed`: what differs. */
  fields: ChangeField[];
}

/** One change of a host-level layer entry, or undefined when it changes nothing. */
export function hostChange(e: LayerEntry): Omit<Change, 'path'> | undefined {
  if (e.whiteout) return e.base === undefined ? undefined : { change: 'deleted', type: entryType(e.base), fields: [] };
  const type = entryType(e.upper);
  if (e.base === undefined) return { change: 'added', type, fields: [] };
  if (e.upper.isDirectory() ? e.hidesBase : entryType(e.base) !== type) return { change: 'replaced', type, fields: [] };
  const fields = changedFields(e.upperPath, e.upper, e.basePath, e.base);
  return fields.length === 0 ? undefined : { change: 'changed', type, fields };
}

function guestPath(rel: Buffer): Buffer {
  return Buffer.concat([Buffer.from('/'), rel]);
}

/** The changes of a hostfs layer. */
function hostfsChanges(upper: Buffer, base: Buffer, tick: () => void): Change[] {
  const out: Change[] = [];
  for (const ev of walkLayer(upper, base)) {
    if (ev.kind !== 'entry') continue;
    tick();
    const c = hostChange(ev.entry);
    if (c !== undefined) out.push({ path: guestPath(ev.entry.rel), ...c });
  }
  return out;
}

const DATA = Buffer.from(`${HUMFS_LAYOUT.data}`);
const FILE_META = Buffer.from(`${HUMFS_LAYOUT.fileMetadata}`);
const DIR_META = Buffer.from(`${HUMFS_LAYOUT.dirMetadata}`);
const DIR_RECORD = Buffer.from(`/${HUMFS_LAYOUT.dirRecord}`);

/** rel's part below `top`/ (top itself: empty), or undefined when rel is elsewhere. */
function under(rel: Buffer, top: Buffer): Buffer | undefined {
  if (rel.equals(top)) return Buffer.alloc(0);
  if (rel.length > top.length && rel[top.length] === 0x2f && rel.subarray(0, top.length).equals(top)) return rel.subarray(top.length + 1);
  return undefined;
}

function readRecord(p: Buffer): MetadataRecord | undefined {
  try {
    return parseMetadata(fs.readFileSync(p, 'utf8'));
  } catch {
    return undefined;
  }
}

function recordFields(a: MetadataRecord | undefined, b: MetadataRecord | undefined): ChangeField[] {
  if (a === undefined || b === undefined) return a === b ? [] : ['mode', 'owner'];
  const f: ChangeField[] = [];
  if (a.mode !== b.mode) f.push('mode');
  if (a.uid !== b.uid || a.gid !== b.gid) f.push('owner');
  if (a.type !== b.type || a.major !== b.major || a.minor !== b.minor) f.push('device');
  return f;
}

/** The changes of a humfs layer, in the guest's paths. */
function humfsChanges(upper: Buffer, base: Buffer, tick: () => void): Change[] {
  const byPath = new Map<string, Change>();
  const records: { guest: Buffer; entry: LayerEntry }[] = [];
  for (const ev of walkLayer(upper, base)) {
    if (ev.kind !== 'entry') continue;
    tick();
    const e = ev.entry;
    const data = under(e.rel, DATA);
    if (data !== undefined) {
      const c = hostChange(e);
      if (c === undefined) continue;
      // Host mode and owner are not the guest's: the records say those.
      const fields = c.fields.filter((f) => f !== 'mode' && f !== 'owner');
      if (c.change === 'changed' && fields.length === 0) continue;
      byPath.set(data.toString('latin1'), { path: guestPath(data), ...c, fields });
      continue;
    }
    if (e.whiteout || !e.upper.isFile() || e.base === undefined) continue;
    const file = under(e.rel, FILE_META);
    if (file !== undefined && file.length > 0) {
      records.push({ guest: file, entry: e });
      continue;
    }
    const dir = under(e.rel, DIR_META);
    if (dir !== undefined && (dir.equals(DIR_RECORD.subarray(1)) || (dir.length > DIR_RECORD.length && dir.subarray(dir.length - DIR_RECORD.length).equals(DIR_RECORD)))) {
      records.push({ guest: dir.subarray(0, Math.max(0, dir.length - DIR_RECORD.length)), entry: e });
    }
  }
  for (const { guest, entry } of records) {
    const fields = recordFields(readRecord(entry.upperPath), readRecord(entry.basePath));
    if (fields.length === 0) continue;
    const key = guest.toString('latin1');
    const seen = byPath.get(key);
    if (seen === undefined) {
      const dataBase = fs.lstatSync(Buffer.concat([base, Buffer.from(`/${HUMFS_LAYOUT.data}/`), guest]), { throwIfNoEntry: false });
      const type = dataBase === undefined ? 'file' : entryType(dataBase);
      byPath.set(key, { path: guestPath(guest), change: 'changed', type, fields });
    } else if (seen.change === 'changed') {
      seen.fields = [...new Set([...fields, ...seen.fields])];
    }
  }
  return [...byPath.values()].sort((a, b) => comparePaths(a.path, b.path));
}

const FIELD_ORDER: readonly ChangeField[] = ['content', 'device', 'mode', 'owner', 'mtime', 'xattrs'];

/** The layer's changes, in path order. */
export function layerChanges(layer: string, m: CowManifest, tick: () => void): Change[] {
  const upper = Buffer.from(path.resolve(upperOf(layer)));
  const base = Buffer.from(m.base.path);
  const list = m.mode === 'humfs' ? humfsChanges(upper, base, tick) : hostfsChanges(upper, base, tick);
  for (const c of list) c.fields.sort((a, b) => FIELD_ORDER.indexOf(a) - FIELD_ORDER.indexOf(b));
  return list;
}

/** Text: one line per change, "<kind> <path>" and the changed fields. Paths are raw bytes. */
export function printChanges(list: readonly Change[], write: (b: Buffer) => void): void {
  for (const c of list) {
    const fields = c.fields.length > 0 ? ` (${c.fields.join(', ')})` : '';
    const suffix = c.type === 'dir' && c.path.length > 1 ? '/' : '';
    write(Buffer.concat([Buffer.from(`${c.change.padEnd(9)}`), c.path, Buffer.from(`${suffix}${fields}\n`)]));
  }
}

/**
 * The JSON document of `cow diff --json` (schema in the README): paths are
 * UTF-8 strings, and a path that is not valid UTF-8 also comes as
 * pathBase64 with its exact bytes.
 */
export function changesJson(layer: string, m: CowManifest, list: readonly Change[]): string {
  const changes = list.map((c) => {
    const text = c.path.toString('utf8');
    const exact = Buffer.from(text, 'utf8').equals(c.path);
    return { path: text, ...(exact ? {} : { pathBase64: c.path.toString('base64') }), change: c.change, type: c.type, fields: c.fields };
  });
  const counts = { added: 0, changed: 0, deleted: 0, replaced: 0 };
  for (const c of list) counts[c.change]++;
  return `${JSON.stringify({ format: 1, layer: path.resolve(layer), base: m.base.path, mode: m.mode, counts, changes }, null, 2)}\n`;
}
