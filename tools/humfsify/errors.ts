// Errors humfsify reports to its user as one line and exit status 1. Anything
// else that escapes is a bug and is printed with its stack.

export class HumfsifyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HumfsifyError';
  }
}

/** A path as it can be printed: bytes that are not UTF-8 become \xNN escapes. */
export function showPath(p: Buffer | string): string {
  if (typeof p === 'string') return p;
  const s = p.toString('utf8');
  if (Buffer.from(s, 'utf8').equals(p)) return escapeControls(s);
  let out = '';
  for (const byte of p) out += byte >= 0x20 && byte < 0x7f && byte !== 0x5c ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`;
  return out;
}

function escapeControls(s: string): string {
  return s.replace(/[\x00-\x1f\x7f\\]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** The errno code of a Node fs error, or undefined. */
export function codeOf(e: unknown): string | undefined {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
}

/** Message of a Node fs error without Node's own path quoting (we print our own). */
export function reasonOf(e: unknown): string {
  const code = codeOf(e);
  if (e instanceof Error) {
    const m = /^[A-Z]+: ([^,]+)/.exec(e.message);
    return code !== undefined && m?.[1] !== undefined ? `${m[1]} (${code})` : e.message;
  }
  return String(e);
}
