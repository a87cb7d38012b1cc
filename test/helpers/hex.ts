// hex`...`: bytes written as hex in a test, with room for explanations.
// Whitespace and `|` separate fields; `#` starts a comment to end of line.
// ${} substitutions must be strings of hex digits (e.g. a repeated pattern).

export function hex(strings: TemplateStringsArray, ...values: unknown[]): Buffer {
  let text = strings[0] ?? '';
  values.forEach((v, i) => {
    text += String(v) + (strings[i + 1] ?? '');
  });
  const digits = text
    .split('\n')
    .map((line) => line.replace(/#.*$/, ''))
    .join('')
    .replace(/[\s|]/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(digits)) throw new Error(`hex\`\`: not whole bytes of hex: ${digits}`);
  return Buffer.from(digits, 'hex');
}

/** Bytes as spaced hex, for assertion messages. */
export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex').replace(/(..)/g, '$1 ').trim();
}

/** A little-endian hex string of an unsigned integer of `bytes` bytes. */
export function le(n: number | bigint, bytes: number): string {
  let v = BigInt(n);
  let out = '';
  for (let i = 0; i < bytes; i++) {
    out += (v & 0xffn).toString(16).padStart(2, '0');
    v >>= 8n;
  }
  return out;
}
