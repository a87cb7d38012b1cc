// The humfs on-disk format (UML "shadow_fs", superblock version 2): the one
// module that knows how metadata lines and the superblock are spelled. Pure:
// it imports nothing (not even node:fs), so the VFS humfs store, humfsify and
// the tests all agree on one parser and one printer.
//
// Layout of an export (see DESIGN.md "humfs on-disk layout"):
//   superblock                    "version 2\nmetadata shadow_fs\nused N\ntotal N\n"
//   data/<path>                   contents, directories, symlinks
//   file_metadata/<path>          one record per non-directory
//   file_metadata/<dir>/          a directory mirroring each data directory
//   dir_metadata/<dir>/metadata   one record per directory (root: dir_metadata/metadata)
//
// A record is one line "<mode> <uid> <gid>[ <c|b|p|s> <major> <minor>]\n".
// <mode> is the permission bits in DECIMAL ("420" is 0644): the original Perl
// humfsify prints `$mode & 0777` with print, and the UML kernel reads it with
// %d. We keep `& 07777` (setuid, setgid, sticky), which those readers still
// parse.

/** Names of the entries of an export folder. */
export const HUMFS_LAYOUT = {
  superblock: 'superblock',
  data: 'data',
  fileMetadata: 'file_metadata',
  dirMetadata: 'dir_metadata',
  /** Name of a directory's record inside its dir_metadata/<dir>/ folder. */
  dirRecord: 'metadata',
} as const;

/** The only superblock version and metadata kind this format module reads and writes. */
export const HUMFS_VERSION = 2;
export const HUMFS_METADATA_KIND = 'shadow_fs';

/** Largest mode a record may carry: permission bits plus setuid, setgid, sticky. */
export const MODE_MASK = 0o7777;
const U32_MAX = 0xffffffff;
const SIZE_MAX = (1n << 63n) - 1n;

/**
 * The type a record gives its entry when the data entry cannot carry it:
 * `c` character device, `b` block device, `p` FIFO, `s` socket. The data
 * entry is then usually a placeholder regular file.
 */
export type SpecialType = 'c' | 'b' | 'p' | 's';

const SPECIAL_TYPES: readonly SpecialType[] = ['c', 'b', 'p', 's'];

/** One metadata record: what a guest sees as owner, permissions and (for special files) type. */
export interface MetadataRecord {
  /** Permission bits, 0..0o7777 (setuid 0o4000, setgid 0o2000, sticky 0o1000 included). */
  mode: number;
  uid: number;
  gid: number;
  /**
   * null: the entry has the type of its data entry (regular file, directory,
   * symlink, or a real host FIFO/socket/device). Otherwise the type recorded here.
   */
  type: SpecialType | null;
  /** Device numbers for `c` and `b`; 0 for every other record. */
  major: number;
  minor: number;
}

export interface Superblock {
  version: number;
  /** Metadata kind; only "shadow_fs" exists. */
  metadata: string;
  /** Bytes in use (statfs inside the guest reports it). */
  used: bigint;
  /** Size of the filesystem in bytes. */
  total: bigint;
}

/**
 * A line that does not parse. `line` is 1-based (null when the problem is
 * the text as a whole, like a missing superblock key); the message names the
 * line and says what is wrong, and the caller adds the file name.
 */
export class HumfsFormatError extends Error {
  readonly line: number | null;
  readonly reason: string;

  constructor(line: number | null, reason: string) {
    super(line === null ? reason : `line ${line}: ${reason}`);
    this.name = 'HumfsFormatError';
    this.line = line;
    this.reason = reason;
  }
}

// st_mode type bits (Linux), kept here so that the module imports nothing.
const S_IFMT = 0o170000;
const S_IFSOCK = 0o140000;
const S_IFBLK = 0o060000;
const S_IFCHR = 0o020000;
const S_IFIFO = 0o010000;

const TYPE_BITS: Record<SpecialType, number> = { c: S_IFCHR, b: S_IFBLK, p: S_IFIFO, s: S_IFSOCK };

/** A record with no special type. */
export function plainRecord(mode: number, uid: number, gid: number): MetadataRecord {
  return checkRecord({ mode, uid, gid, type: null, major: 0, minor: 0 });
}

/** A record of a special file: device numbers matter for `c` and `b` only. */
export function specialRecord(
  type: SpecialType,
  mode: number,
  uid: number,
  gid: number,
  major = 0,
  minor = 0,
): MetadataRecord {
  const dev = type === 'c' || type === 'b';
  return checkRecord({ mode, uid, gid, type, major: dev ? major : 0, minor: dev ? minor : 0 });
}

/** The special type of a full st_mode (S_IFCHR → `c`, ...), null for regular files, dirs and symlinks. */
export function specialTypeOfMode(mode: number): SpecialType | null {
  switch (mode & S_IFMT) {
    case S_IFCHR:
      return 'c';
    case S_IFBLK:
      return 'b';
    case S_IFIFO:
      return 'p';
    case S_IFSOCK:
      return 's';
    default:
      return null;
  }
}

/** The S_IF* type bits of a special type. */
export function typeBitsOf(type: SpecialType): number {
  return TYPE_BITS[type];
}

/**
 * The full st_mode a guest sees: the recorded type (or else the data entry's
 * own type bits) with the recorded permission bits.
 */
export function effectiveMode(record: MetadataRecord, dataMode: number): number {
  const typeBits = record.type === null ? dataMode & S_IFMT : TYPE_BITS[record.type];
  return typeBits | (record.mode & MODE_MASK);
}

/** Prints a record as its one-line file, "\n" included. */
export function printMetadata(record: MetadataRecord): string {
  checkRecord(record);
  const head = `${record.mode} ${record.uid} ${record.gid}`;
  // p and s carry "0 0" so a reader that expects six fields after a type
  // letter (as for c and b) parses them too.
  return record.type === null ? `${head}\n` : `${head} ${record.type} ${record.major} ${record.minor}\n`;
}

const FIELD_NAMES = ['mode', 'uid', 'gid', 'type', 'major', 'minor'] as const;

/**
 * Parses the contents of a metadata file. Fields may be separated by any run
 * of spaces or tabs (the Perl reader splits on whitespace, the kernel uses
 * sscanf); the final newline may be missing; nothing but empty lines may follow.
 */
export function parseMetadata(text: string): MetadataRecord {
  const lines = text.split('\n');
  const first = lines[0] ?? '';
  for (let i = 1; i < lines.length; i++) {
    const extra = lines[i] ?? '';
    if (extra.trim() !== '') throw new HumfsFormatError(i + 1, `unexpected extra line ${quote(extra)}`);
  }
  if (first.trim() === '') throw new HumfsFormatError(1, 'empty metadata record (expected "<mode> <uid> <gid>")');
  const fields = first.trim().split(/[ \t]+/);
  if (fields.length < 3) {
    throw new HumfsFormatError(1, `${fields.length} field(s) in ${quote(first)}, expected "<mode> <uid> <gid>"`);
  }
  if (fields.length > 6) throw new HumfsFormatError(1, `too many fields (${fields.length}) in ${quote(first)}`);
  const mode = decimalField(fields, 0, MODE_MASK);
  const uid = decimalField(fields, 1, U32_MAX);
  const gid = decimalField(fields, 2, U32_MAX);
  if (fields.length === 3) return { mode, uid, gid, type: null, major: 0, minor: 0 };

  const letter = fields[3] ?? '';
  if (!isSpecialType(letter)) {
    throw new HumfsFormatError(1, `type ${quote(letter)} is not one of c, b, p, s`);
  }
  if (fields.length === 4) {
    if (letter === 'c' || letter === 'b') {
      throw new HumfsFormatError(1, `device type '${letter}' needs a major and a minor number`);
    }
    return { mode, uid, gid, type: letter, major: 0, minor: 0 };
  }
  if (fields.length === 5) throw new HumfsFormatError(1, `type '${letter}' has a major number but no minor number`);
  const major = decimalField(fields, 4, U32_MAX);
  const minor = decimalField(fields, 5, U32_MAX);
  const dev = letter === 'c' || letter === 'b';
  return { mode, uid, gid, type: letter, major: dev ? major : 0, minor: dev ? minor : 0 };
}

/** Prints a superblock exactly as the original humfsify writes it. */
export function printSuperblock(sb: Superblock): string {
  checkSuperblock(sb, null);
  return `version ${sb.version}\nmetadata ${sb.metadata}\nused ${sb.used}\ntotal ${sb.total}\n`;
}

type SuperKey = 'version' | 'metadata' | 'used' | 'total';
const SUPER_KEYS: readonly SuperKey[] = ['version', 'metadata', 'used', 'total'];

/**
 * Parses a superblock: the four "key value" lines in any order, each exactly
 * once. Unknown keys, repeated keys, bad numbers, an unsupported version or
 * metadata kind, and used > total are errors.
 */
export function parseSuperblock(text: string): Superblock {
  const seen = new Map<SuperKey, { value: string; line: number }>();
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') {
      if (i === lines.length - 1) return; // the text's final newline
      throw new HumfsFormatError(line, 'empty line');
    }
    const m = /^[ \t]*([A-Za-z_]+)[ \t]+(\S+)[ \t]*$/.exec(raw);
    if (m === null) throw new HumfsFormatError(line, `${quote(raw)} is not a "key value" line`);
    const key = m[1] ?? '';
    const value = m[2] ?? '';
    if (!isSuperKey(key)) throw new HumfsFormatError(line, `unknown key ${quote(key)}`);
    const before = seen.get(key);
    if (before !== undefined) throw new HumfsFormatError(line, `key '${key}' repeated (first on line ${before.line})`);
    seen.set(key, { value, line });
  });
  for (const key of SUPER_KEYS) {
    if (!seen.has(key)) throw new HumfsFormatError(null, `superblock has no '${key}' line`);
  }
  const get = (key: SuperKey): { value: string; line: number } => seen.get(key) ?? { value: '', line: 0 };
  const version = get('version');
  if (!/^[0-9]+$/.test(version.value)) throw new HumfsFormatError(version.line, `version ${quote(version.value)} is not a number`);
  const metadata = get('metadata');
  const used = get('used');
  const total = get('total');
  const sb: Superblock = {
    version: Number(version.value),
    metadata: metadata.value,
    used: byteCount(used.value, used.line, 'used'),
    total: byteCount(total.value, total.line, 'total'),
  };
  checkSuperblock(sb, { version: version.line, metadata: metadata.line, used: used.line });
  return sb;
}

/**
 * Parses a filesystem size as humfsify takes it on its command line: bytes,
 * or a number with a K, M, G (the original's suffixes) or T suffix, powers
 * of 1024. Lower-case suffixes are accepted too.
 */
export function parseSize(text: string): bigint {
  const m = /^([0-9]+)([KkMmGgTt]?)$/.exec(text);
  if (m === null) {
    throw new HumfsFormatError(null, `bad filesystem size ${quote(text)} (a number of bytes, or with a K, M, G or T suffix)`);
  }
  const shift: Record<string, bigint> = { '': 0n, k: 10n, m: 20n, g: 30n, t: 40n };
  const bytes = BigInt(m[1] ?? '0') << (shift[(m[2] ?? '').toLowerCase()] ?? 0n);
  if (bytes > SIZE_MAX) throw new HumfsFormatError(null, `filesystem size ${quote(text)} is too large`);
  return bytes;
}

/**
 * Where the record of an entry lives, relative to the export folder, for a
 * path given as components relative to data/ ([] is data/ itself).
 * Directories: dir_metadata/<path>/metadata; everything else file_metadata/<path>.
 * Generic so that callers can use strings or Buffers as components.
 */
export function metadataPathOf<T>(components: readonly T[], isDirectory: boolean, name: (s: string) => T): T[] {
  return isDirectory
    ? [name(HUMFS_LAYOUT.dirMetadata), ...components, name(HUMFS_LAYOUT.dirRecord)]
    : [name(HUMFS_LAYOUT.fileMetadata), ...components];
}

/** metadataPathOf for a '/'-separated string path relative to data/ ('' is data/ itself). */
export function metadataPath(relative: string, isDirectory: boolean): string {
  const parts = relative.split('/').filter((p) => p !== '' && p !== '.');
  return metadataPathOf(parts, isDirectory, (s) => s).join('/');
}

function checkRecord(r: MetadataRecord): MetadataRecord {
  const bad = (what: string): never => {
    throw new HumfsFormatError(null, what);
  };
  if (!isUint(r.mode, MODE_MASK)) bad(`mode ${r.mode} is not within 0..0o7777`);
  if (!isUint(r.uid, U32_MAX)) bad(`uid ${r.uid} is not a 32-bit unsigned number`);
  if (!isUint(r.gid, U32_MAX)) bad(`gid ${r.gid} is not a 32-bit unsigned number`);
  if (r.type !== null && !isSpecialType(r.type)) bad(`type ${String(r.type)} is not one of c, b, p, s`);
  if (!isUint(r.major, U32_MAX) || !isUint(r.minor, U32_MAX)) bad(`device ${r.major}:${r.minor} is out of range`);
  if ((r.type === null || r.type === 'p' || r.type === 's') && (r.major !== 0 || r.minor !== 0)) {
    bad(`a record of type ${r.type ?? 'none'} cannot carry device numbers ${r.major}:${r.minor}`);
  }
  return r;
}

function checkSuperblock(sb: Superblock, lines: { version: number; metadata: number; used: number } | null): void {
  if (sb.version !== HUMFS_VERSION) {
    throw new HumfsFormatError(lines?.version ?? null, `version ${sb.version} is not supported (only version ${HUMFS_VERSION})`);
  }
  if (sb.metadata !== HUMFS_METADATA_KIND) {
    throw new HumfsFormatError(lines?.metadata ?? null, `metadata kind ${quote(sb.metadata)} is not supported (only ${HUMFS_METADATA_KIND})`);
  }
  for (const [key, v] of [['used', sb.used], ['total', sb.total]] as const) {
    if (v < 0n || v > SIZE_MAX) throw new HumfsFormatError(null, `${key} ${v} is out of range`);
  }
  if (sb.used > sb.total) throw new HumfsFormatError(lines?.used ?? null, `used ${sb.used} is greater than total ${sb.total}`);
}

function decimalField(fields: readonly string[], index: number, max: number): number {
  const text = fields[index] ?? '';
  const name = FIELD_NAMES[index] ?? 'field';
  if (!/^[0-9]+$/.test(text)) throw new HumfsFormatError(1, `${name} ${quote(text)} is not a decimal number`);
  const value = Number(text);
  if (value > max) {
    const limit = name === 'mode' ? `0o7777 (${max})` : String(max);
    throw new HumfsFormatError(1, `${name} ${text} is larger than ${limit}`);
  }
  return value;
}

function byteCount(text: string, line: number, key: string): bigint {
  if (!/^[0-9]+$/.test(text)) throw new HumfsFormatError(line, `${key} ${quote(text)} is not a number of bytes`);
  const v = BigInt(text);
  if (v > SIZE_MAX) throw new HumfsFormatError(line, `${key} ${text} is too large`);
  return v;
}

export function isSpecialType(s: string): s is SpecialType {
  return (SPECIAL_TYPES as readonly string[]).includes(s);
}

function isSuperKey(s: string): s is SuperKey {
  return (SUPER_KEYS as readonly string[]).includes(s);
}

function isUint(n: number, max: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= max;
}

/** Quotes text for an error message, showing control characters visibly. */
function quote(s: string): string {
  const shown = s.length > 60 ? `${s.slice(0, 60)}...` : s;
  return JSON.stringify(shown);
}
