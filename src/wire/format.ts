// One-line renderings of messages for trace logs, shared by both protocols:
//   Twalk{fid:1 newfid:2 wname:[a b]}    LOOKUP{name:a}
// Binary payloads (`data`, `value`) show as a byte count, never as contents. Names
// show as text, with bytes that are not printable UTF-8 escaped as \xNN, so
// a log line stays one line and shows the exact bytes of odd names.

export function showName(b: Buffer): string {
  const text = b.toString('utf8');
  // Lossless only if the bytes were valid UTF-8; otherwise escape byte-wise.
  if (Buffer.byteLength(text, 'utf8') === b.length && !text.includes('\ufffd')) {
    return text.replace(/[\x00-\x20\x7f\\]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  }
  let out = '';
  for (const byte of b) {
    out += byte > 0x20 && byte < 0x7f && byte !== 0x5c ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

function showValue(key: string, v: unknown): string {
  // payloads (9P data, FUSE data and xattr values) as a count; names as text
  if (Buffer.isBuffer(v)) return key === 'data' || key === 'value' ? `<${v.length} bytes>` : showName(v);
  if (typeof v === 'bigint' || typeof v === 'number') return String(v);
  if (typeof v === 'string') return v === '' || /[\s{}[\]]/.test(v) ? JSON.stringify(v) : v;
  if (Array.isArray(v)) return `[${v.map((x) => showValue(key, x)).join(' ')}]`;
  if (v !== null && typeof v === 'object') {
    const parts = Object.entries(v).map(([k, x]) => `${k}:${showValue(k, x)}`);
    return `{${parts.join(' ')}}`;
  }
  return String(v);
}

/** `Name{field:value ...}` in the message's own field order. */
export function format(msg: { readonly type: string; readonly [field: string]: unknown }): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(msg)) {
    if (k !== 'type') parts.push(`${k}:${showValue(k, v)}`);
  }
  return `${msg.type}{${parts.join(' ')}}`;
}
