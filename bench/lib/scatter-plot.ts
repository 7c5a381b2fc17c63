import { mkdir } from "node:fs/promises";
import path from "node:path";
import sharp from "sharp";
import { formatSummary, isFailure, summarise, type OpenLoopRecord } from "./open-loop-summary";

// A response-time scatter plot in the manner of the ancestor's performance tool: one dot per
// request at (scheduled send time, latency), failures as red crosses, events as labelled vertical
// lines. Drawn as an SVG string and rasterised by sharp (already a dependency for logos; its
// libvips carries librsvg and fontconfig), so no browser and no new package is needed.

export interface PlotEvent {
  /** Epoch ms, the clock of the records' scheduledAt (Date.now() when the event happened). */
  at: number;
  label: string;
}

export interface ScatterPlotOptions {
  file: string;
  title: string;
  events?: PlotEvent[];
  /** Epoch ms of time zero; default the first record's scheduled time (OpenLoopResult.startedAt). */
  startedAt?: number;
  /** Default "log": a held request at 800 ms and a normal one at 1 ms both stay readable. */
  yScale?: "log" | "linear";
  /** Replaces the summary line computed from the records. */
  summaryLine?: string;
  width?: number;
  height?: number;
}

export const FONT = "DejaVu Sans, Liberation Sans, Arial, sans-serif";

export function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** 1, 2, 5 x 10^k steps giving about `target` ticks over [0, span]. */
export function niceStep(span: number, target: number): number {
  const raw = span / Math.max(1, target);
  const pow = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * pow >= raw) return m * pow;
  return 10 * pow;
}

function fmtMs(v: number): string {
  if (v >= 1000) return `${v / 1000} s`;
  return `${Number(v.toPrecision(3))} ms`;
}

// Spreading a long run's 36k values into Math.min/max risks the argument limit.
function extent(values: Iterable<number>): [number, number] {
  let lo = Number.POSITIVE_INFINITY, hi = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

function failureKind(r: OpenLoopRecord): "non2xx" | "transport" | undefined {
  if (!isFailure(r)) return undefined;
  return r.error === undefined && r.status !== undefined ? "non2xx" : "transport";
}

export function renderScatterSvg(records: readonly OpenLoopRecord[], opts: Omit<ScatterPlotOptions, "file">): string {
  const W = opts.width ?? 1400;
  const H = opts.height ?? 720;
  const m = { left: 86, right: 28, top: 104, bottom: 58 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const t0 = opts.startedAt ?? (records.length ? extent(records.map((r) => r.scheduledAt))[0] : 0);
  const events = opts.events ?? [];

  const lastT = Math.max(1, extent([...records.map((r) => r.scheduledAt), ...events.map((e) => e.at)].map((t) => (t - t0) / 1000))[1]);
  const xStep = niceStep(lastT, 12);
  const xMax = Math.ceil(lastT / xStep) * xStep;
  const x = (sec: number) => m.left + (sec / xMax) * pw;

  const lat = records.map((r) => r.latencyMs).filter((v) => Number.isFinite(v) && v > 0);
  const [minLat, maxLat] = lat.length ? extent(lat) : [1, 10];
  const log = (opts.yScale ?? "log") === "log";
  let y: (ms: number) => number;
  const yTicks: number[] = [];
  const yMinor: number[] = [];
  if (log) {
    const lo = Math.floor(Math.log10(Math.max(minLat, 0.01)));
    const hi = Math.max(lo + 1, Math.ceil(Math.log10(maxLat * 1.05)));
    y = (ms) => m.top + ph - ((Math.log10(Math.max(ms, 10 ** lo)) - lo) / (hi - lo)) * ph;
    for (let k = lo; k <= hi; k++) {
      yTicks.push(10 ** k);
      // 2x and 5x labelled too when few decades show, so a reader can tell 200 ms from 800 ms.
      if (k < hi) for (const f of [2, 5]) (hi - lo <= 4 ? yTicks : yMinor).push(f * 10 ** k);
      if (k < hi) for (const f of [3, 4, 6, 7, 8, 9]) yMinor.push(f * 10 ** k);
    }
  } else {
    const step = niceStep(maxLat, 8);
    const top = Math.ceil((maxLat * 1.05) / step) * step;
    y = (ms) => m.top + ph - (Math.min(ms, top) / top) * ph;
    for (let v = 0; v <= top + 1e-9; v += step) yTicks.push(Number(v.toPrecision(6)));
  }

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="${FONT}">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${m.left}" y="30" font-size="20" font-weight="bold" fill="#111">${esc(opts.title)}</text>`);
  const summaryLine = opts.summaryLine ?? formatSummary(summarise(records));
  // About 7 px per character at 13 px: a long summary breaks at a comma onto a second line.
  const maxChars = Math.floor((W - m.left - m.right) / 7);
  let lines = [summaryLine];
  if (summaryLine.length > maxChars) {
    const cut = summaryLine.lastIndexOf(", ", maxChars);
    if (cut > 0) lines = [summaryLine.slice(0, cut + 1), summaryLine.slice(cut + 2)];
  }
  lines.forEach((line, i) => out.push(`<text x="${m.left}" y="${50 + i * 16}" font-size="13" fill="#333">${esc(line)}</text>`));

  // Grid and axes.
  out.push(`<g stroke="#f0f0f0" stroke-width="1">`);
  for (const v of yMinor) out.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}"/>`);
  out.push(`</g><g stroke="#dddddd" stroke-width="1">`);
  for (const v of yTicks) out.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}"/>`);
  for (let s = 0; s <= xMax + 1e-9; s += xStep) out.push(`<line y1="${m.top}" y2="${m.top + ph}" x1="${x(s).toFixed(1)}" x2="${x(s).toFixed(1)}"/>`);
  out.push(`</g>`);
  out.push(`<g font-size="12" fill="#333">`);
  for (const v of yTicks) out.push(`<text x="${m.left - 8}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${esc(fmtMs(v))}</text>`);
  for (let s = 0; s <= xMax + 1e-9; s += xStep) {
    out.push(`<text x="${x(s).toFixed(1)}" y="${m.top + ph + 18}" text-anchor="middle">${Number(s.toPrecision(6))}</text>`);
  }
  out.push(`</g>`);
  out.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`);
  out.push(`<text x="${m.left + pw / 2}" y="${H - 14}" font-size="13" text-anchor="middle" fill="#333">time since start (s)</text>`);
  out.push(
    `<text transform="translate(20 ${m.top + ph / 2}) rotate(-90)" font-size="13" text-anchor="middle" fill="#333">latency from scheduled send (ms, ${log ? "log" : "linear"} scale)</text>`,
  );

  // Successful requests first, failures on top so none hides under a dot.
  const dots: string[] = [];
  const crosses: string[] = [];
  let nOk = 0, nNon2xx = 0, nTransport = 0;
  const byError = new Map<string, number>();
  for (const r of records) {
    const cx = x((r.scheduledAt - t0) / 1000).toFixed(1);
    const kind = failureKind(r);
    // A shed request has no latency: its cross sits on the floor of the plot.
    const cy = y(r.latencyMs > 0 ? r.latencyMs : 1e-9).toFixed(1);
    if (!kind) {
      nOk++;
      dots.push(`<circle cx="${cx}" cy="${cy}" r="1.7"/>`);
    } else {
      if (kind === "non2xx") nNon2xx++;
      else {
        nTransport++;
        const k = r.error ?? "no status";
        byError.set(k, (byError.get(k) ?? 0) + 1);
      }
      const c = kind === "non2xx" ? "#e67e00" : "#d11";
      crosses.push(`<path d="M${+cx - 4} ${+cy - 4}l8 8m0 -8l-8 8" stroke="${c}"/>`);
    }
  }
  out.push(`<g fill="#1f6fb4" fill-opacity="0.45">${dots.join("")}</g>`);
  out.push(`<g stroke-width="1.6" fill="none">${crosses.join("")}</g>`);

  // Events: dashed lines; labels alternate between two rows so close events stay legible.
  const sortedEvents = [...events].sort((a, b) => a.at - b.at);
  sortedEvents.forEach((e, i) => {
    const ex = x((e.at - t0) / 1000).toFixed(1);
    const ly = m.top - 26 + (i % 2) * 16;
    out.push(`<line x1="${ex}" x2="${ex}" y1="${ly + 4}" y2="${m.top + ph}" stroke="#6a2c91" stroke-width="1.5" stroke-dasharray="6 4"/>`);
    out.push(`<text x="${+ex + 4}" y="${ly}" font-size="12" fill="#6a2c91">${esc(`${e.label} (${((e.at - t0) / 1000).toFixed(1)} s)`)}</text>`);
  });

  // Legend, top right inside the plot.
  const rows: [string, string][] = [
    [`<circle cx="12" cy="0" r="3.5" fill="#1f6fb4" fill-opacity="0.7"/>`, `2xx response (${nOk})`],
    [`<path d="M8 -4l8 8m0 -8l-8 8" stroke="#e67e00" stroke-width="1.8"/>`, `non-2xx response (${nNon2xx})`],
    [`<path d="M8 -4l8 8m0 -8l-8 8" stroke="#d11" stroke-width="1.8"/>`, nTransport
      ? `${[...byError].map(([k, n]) => `${k} ${n}`).join(", ")}`
      : "reset / timeout / refused (0)"],
    [`<line x1="12" x2="12" y1="-7" y2="7" stroke="#6a2c91" stroke-width="1.5" stroke-dasharray="3 2"/>`, "event"],
  ];
  const lw = 300, lh = rows.length * 20 + 12;
  out.push(`<g transform="translate(${m.left + pw - lw - 10} ${m.top + 10})">`);
  out.push(`<rect width="${lw}" height="${lh}" fill="#ffffff" fill-opacity="0.9" stroke="#bbb"/>`);
  rows.forEach(([mark, text], i) => {
    out.push(`<g transform="translate(6 ${16 + i * 20})">${mark}<text x="28" y="4" font-size="12" fill="#222">${esc(text)}</text></g>`);
  });
  out.push(`</g>`);
  out.push(`</svg>`);
  return out.join("\n");
}

/** Writes the plot as a PNG (directories created). Returns the file written. */
export async function writeScatterPlot(records: readonly OpenLoopRecord[], opts: ScatterPlotOptions): Promise<string> {
  const svg = renderScatterSvg(records, opts);
  await mkdir(path.dirname(opts.file), { recursive: true });
  // 36k dots make an SVG of a few MB; libvips refuses "unlimited" inputs by default.
  await sharp(Buffer.from(svg), { density: 96, unlimited: true }).png().toFile(opts.file);
  return opts.file;
}
