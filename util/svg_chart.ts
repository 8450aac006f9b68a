/**
 * Small, dependency-free SVG line charts for reports (they must render in a file viewer, a browser
 * and a self-contained HTML page without scripts).
 *
 * @module
 */

/** One line. */
export interface Series {
  name: string;
  /** [x, y], [x, y, standard error of y] (an error bar of ± that) or [x, y, low, high] (a bar from low to high). */
  points: ([number, number] | [number, number, number] | [number, number, number, number])[];
  dashed?: boolean;
  /** Palette index (default: the series' position), so related series can share a colour. */
  color?: number;
}

/** What to draw. */
export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  logY?: boolean;
  /** Vertical markers, e.g. the critical dimension. */
  markers?: { x: number; label: string }[];
  width?: number;
  height?: number;
}

/** A colour-blind-friendly palette (Okabe–Ito, with brown for its hard-to-see yellow), then grey. */
export const PALETTE = [
  "#0072B2",
  "#D55E00",
  "#009E73",
  "#CC79A7",
  "#E69F00",
  "#56B4E9",
  "#F0E442",
  "#000000",
  "#999999",
];

/** The ends of a point's error bar, if it has one: y ± a standard error, or an interval's [low, high]. */
export function errorBar(p: readonly number[]): [number, number] | undefined {
  if (p.length >= 4 && Number.isFinite(p[2]) && Number.isFinite(p[3])) return [p[2], p[3]];
  if (p.length === 3 && p[2] > 0 && Number.isFinite(p[2])) return [p[1] - p[2], p[1] + p[2]];
  return undefined;
}

/** Dash patterns that tell series apart once the palette's colours repeat. */
const DASHES = ["", "6 3", "2 3", "9 3 2 3"];

/** Colour and dash of the i-th series: every series up to PALETTE × DASHES looks different. */
export function seriesStyle(i: number): { color: string; dash: string } {
  return { color: PALETTE[i % PALETTE.length], dash: DASHES[Math.floor(i / PALETTE.length) % DASHES.length] };
}

const esc = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
    out.push(Number(v.toPrecision(12)));
  }
  return out;
}

const fmtTick = (v: number) => {
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(1);
  return Number(v.toPrecision(4)).toString();
};

/** Renders a line chart as an SVG document. */
export function lineChart(c: LineChart): string {
  const W = c.width ?? 720;
  const H = c.height ?? 400;
  const m = { l: 64, r: 170, t: 36, b: 48 };
  const pts = c.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const ty = (y: number) => (c.logY ? Math.log10(y) : y);
  const xs = pts.map((p) => p[0]);
  // Error bars count towards the range (on log axes only their positive part).
  const ys = pts.flatMap((p) => [p[1], ...(errorBar(p) ?? [])].filter((v) => !c.logY || v > 0).map(ty));
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (!pts.length) [x0, x1, y0, y1] = [0, 1, 0, 1];
  if (x0 === x1) [x0, x1] = [x0 - 1, x1 + 1];
  if (y0 === y1) [y0, y1] = [y0 - 1, y1 + 1];
  const pad = (y1 - y0) * 0.05;
  [y0, y1] = [y0 - pad, y1 + pad];
  const X = (x: number) => m.l + ((x - x0) / (x1 - x0)) * (W - m.l - m.r);
  const Y = (y: number) => H - m.b - ((ty(y) - y0) / (y1 - y0)) * (H - m.t - m.b);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${m.l}" y="22" font-size="15" font-weight="bold">${esc(c.title)}</text>`,
  ];
  // Log axes spanning less than a decade read better with plain values at nice steps.
  const yTicks = !c.logY
    ? niceTicks(y0, y1)
    : y1 - y0 < 1
    ? niceTicks(10 ** y0, 10 ** y1)
    : Array.from({ length: Math.ceil(y1) - Math.floor(y0) + 1 }, (_, k) => Math.floor(y0) + k)
      .flatMap((d) => [1, 2, 5].map((m) => m * 10 ** d));
  for (const v of yTicks) {
    const y = Y(v);
    if (y < m.t - 1 || y > H - m.b + 1) continue;
    out.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${y}" y2="${y}" stroke="#e4e4e4"/>`);
    out.push(`<text x="${m.l - 6}" y="${y + 4}" text-anchor="end" fill="#444">${fmtTick(v)}</text>`);
  }
  for (const v of niceTicks(x0, x1, 8)) {
    const x = X(v);
    out.push(`<line x1="${x}" x2="${x}" y1="${H - m.b}" y2="${H - m.b + 4}" stroke="#444"/>`);
    out.push(`<text x="${x}" y="${H - m.b + 17}" text-anchor="middle" fill="#444">${fmtTick(v)}</text>`);
  }
  out.push(
    `<rect x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${
      H - m.t - m.b
    }" fill="none" stroke="#444"/>`,
  );
  out.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 10}" text-anchor="middle">${esc(c.xLabel)}</text>`);
  out.push(
    `<text transform="translate(16 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">${
      esc(c.yLabel)
    }${c.logY ? " (log)" : ""}</text>`,
  );
  for (const mk of c.markers ?? []) {
    if (mk.x < x0 || mk.x > x1) continue;
    const x = X(mk.x);
    out.push(`<line x1="${x}" x2="${x}" y1="${m.t}" y2="${H - m.b}" stroke="#888" stroke-dasharray="2 3"/>`);
    out.push(`<text x="${x + 3}" y="${m.t + 12}" fill="#666">${esc(mk.label)}</text>`);
  }
  c.series.forEach((s, i) => {
    const style = seriesStyle(s.color ?? i);
    const color = style.color;
    const good = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!c.logY || y > 0));
    const d = good.map(([x, y], j) => `${j ? "L" : "M"}${X(x).toFixed(1)} ${Y(y).toFixed(1)}`).join(" ");
    const pattern = s.dashed ? "6 4" : style.dash;
    const dash = pattern ? ` stroke-dasharray="${pattern}"` : "";
    out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"${dash}/>`);
    for (const p of good) {
      const bar = errorBar(p);
      if (!bar) continue;
      const lo = c.logY ? Math.max(bar[0], 10 ** y0) : bar[0];
      const [xa, ya, yb] = [X(p[0]).toFixed(1), Y(lo).toFixed(1), Y(bar[1]).toFixed(1)];
      out.push(`<path d="M${xa} ${ya} V${yb} M${+xa - 4} ${ya} h8 M${+xa - 4} ${yb} h8" stroke="${color}"/>`);
    }
    if (good.length <= 12) {
      for (const [x, y] of good) out.push(`<circle cx="${X(x)}" cy="${Y(y)}" r="3" fill="${color}"/>`);
    }
    const ly = m.t + 14 + i * 18;
    out.push(
      `<line x1="${W - m.r + 12}" x2="${W - m.r + 36}" y1="${ly - 4}" y2="${
        ly - 4
      }" stroke="${color}" stroke-width="2"${dash}/>`,
    );
    out.push(
      `<text x="${W - m.r + 42}" y="${ly}">${
        esc(s.name.length > 20 ? s.name.slice(0, 19) + "…" : s.name)
      }</text>`,
    );
  });
  out.push("</svg>");
  return out.join("\n");
}
