// The ratios as a picture: one horizontal bar per comparison on a log
// scale centred on 1 (same as the anchor), green when its goal is met, red
// when not, grey without a goal; a ratio goal is a black tick. Plain SVG
// written by hand so the README can show it with no tools.

import type { Line } from './report.js';

const LABEL = 430;
const PLOT = 420;
const ROW = 18;
const TOP = 40;
/** log2 of the ends of the scale: 1/64x to 64x. */
const SPAN = 6;

const x = (ratio: number): number => {
  const l = Math.max(-SPAN, Math.min(SPAN, Math.log2(ratio)));
  return LABEL + ((l + SPAN) / (2 * SPAN)) * PLOT;
};

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function colour(l: Line): string {
  if (l.met === true) return '#2e9d4a';
  if (l.met === false) return '#d0453b';
  return '#9a9a9a';
}

/** `sections`: titles in order; lines grouped under them. */
export function renderSvg(sections: readonly { title: string; lines: readonly Line[] }[], caption: string): string {
  const parts: string[] = [];
  let y = TOP;
  for (const s of sections) {
    if (s.lines.length === 0) continue;
    y += 6;
    parts.push(`<text x="4" y="${y + 12}" font-weight="bold">${escapeXml(s.title)}</text>`);
    y += ROW;
    for (const l of s.lines) {
      const label = `${l.title} (${l.ours} vs ${l.anchor})`;
      parts.push(`<text x="${LABEL - 6}" y="${y + 13}" text-anchor="end">${escapeXml(label.length > 70 ? `${label.slice(0, 69)}…` : label)}</text>`);
      if (l.ratio !== undefined) {
        const a = x(1);
        const b = x(l.ratio);
        parts.push(`<rect x="${Math.min(a, b).toFixed(1)}" y="${y + 3}" width="${Math.max(1, Math.abs(b - a)).toFixed(1)}" height="${ROW - 6}" fill="${colour(l)}"/>`);
        const right = l.ratio >= 1;
        parts.push(`<text x="${(right ? b + 3 : b - 3).toFixed(1)}" y="${y + 13}" text-anchor="${right ? 'start' : 'end'}">${l.ratio >= 10 ? l.ratio.toFixed(0) : l.ratio.toFixed(2)}</text>`);
      } else {
        parts.push(`<text x="${x(1) + 3}" y="${y + 13}" fill="#777">n/a</text>`);
      }
      if (l.goal?.kind === 'ratio') {
        const g = x(l.goal.atLeast).toFixed(1);
        parts.push(`<line x1="${g}" y1="${y + 1}" x2="${g}" y2="${y + ROW - 1}" stroke="#000" stroke-width="2"/>`);
      }
      y += ROW;
    }
  }
  const height = y + 30;
  const width = LABEL + PLOT + 50;
  const ticks: string[] = [];
  for (let e = -SPAN; e <= SPAN; e += 2) {
    const r = 2 ** e;
    const tx = x(r).toFixed(1);
    ticks.push(`<line x1="${tx}" y1="${TOP - 4}" x2="${tx}" y2="${y}" stroke="${e === 0 ? '#444' : '#ddd'}"/>`);
    ticks.push(`<text x="${tx}" y="${y + 16}" text-anchor="middle">${r >= 1 ? `${r}x` : `1/${1 / r}x`}</text>`);
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="4" y="16" font-size="13" font-weight="bold">${escapeXml(caption)}</text>`,
    `<text x="4" y="30" fill="#555">ratio of medians, humbridge vs anchor, log scale: right of 1x is better; black tick = goal; green met, red not met, grey no goal</text>`,
    ...ticks,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
