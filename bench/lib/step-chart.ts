import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { esc, FONT, niceStep, type PlotEvent } from "./scatter-plot";

// A few integer-valued series over time (sites per node, say) as step lines, with labelled
// events as vertical lines: a plain SVG a browser or a README shows as it is. Where a series is
// marked down (its node dead), its line is dashed.

export type StepSeries = {
  label: string;
  colour: string;
  /** Samples in time order: epoch ms, the value, and whether the thing it measures was down. */
  points: Array<{ at: number; value: number; down?: boolean }>;
};

export type StepChartOptions = {
  title: string;
  subtitle?: string;
  yLabel: string;
  startedAt: number;
  events?: PlotEvent[];
  width?: number;
  height?: number;
};

export function renderStepChart(series: readonly StepSeries[], opts: StepChartOptions): string {
  const W = opts.width ?? 1100;
  const H = (opts.height ?? 440) + Math.ceil((opts.events?.length ?? 0) / 2) * 16;
  // Event labels go under the plot, two to a line.
  const legendRows = Math.ceil((opts.events?.length ?? 0) / 2);
  const m = { left: 64, right: 120, top: 74, bottom: 60 + legendRows * 16 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const t0 = opts.startedAt;
  const events = opts.events ?? [];
  const times = [...series.flatMap((s) => s.points.map((p) => p.at)), ...events.map((e) => e.at)];
  const lastT = Math.max(1, ...times.map((t) => (t - t0) / 1000));
  const xStep = niceStep(lastT, 12);
  const xMax = Math.ceil(lastT / xStep) * xStep;
  const x = (at: number) => m.left + ((at - t0) / 1000 / xMax) * pw;
  const maxV = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p.value)));
  const yStep = Math.max(1, Math.round(niceStep(maxV, 8)));
  const yMax = Math.ceil((maxV + 1) / yStep) * yStep;
  const y = (v: number) => m.top + ph - (v / yMax) * ph;

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="${FONT}">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${m.left}" y="28" font-size="18" font-weight="bold" fill="#111">${esc(opts.title)}</text>`);
  if (opts.subtitle) out.push(`<text x="${m.left}" y="48" font-size="12" fill="#333">${esc(opts.subtitle)}</text>`);
  out.push(`<g stroke="#e4e4e4" stroke-width="1">`);
  for (let v = 0; v <= yMax; v += yStep) out.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}"/>`);
  for (let s = 0; s <= xMax + 1e-9; s += xStep) out.push(`<line y1="${m.top}" y2="${m.top + ph}" x1="${x(t0 + s * 1000).toFixed(1)}" x2="${x(t0 + s * 1000).toFixed(1)}"/>`);
  out.push(`</g><g font-size="12" fill="#333">`);
  for (let v = 0; v <= yMax; v += yStep) out.push(`<text x="${m.left - 8}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${v}</text>`);
  for (let s = 0; s <= xMax + 1e-9; s += xStep) out.push(`<text x="${x(t0 + s * 1000).toFixed(1)}" y="${m.top + ph + 18}" text-anchor="middle">${Number(s.toPrecision(6))}</text>`);
  out.push(`</g>`);
  out.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`);
  out.push(`<text x="${m.left + pw / 2}" y="${m.top + ph + 40}" font-size="13" text-anchor="middle" fill="#333">time since start (s)</text>`);
  out.push(`<text transform="translate(18 ${m.top + ph / 2}) rotate(-90)" font-size="13" text-anchor="middle" fill="#333">${esc(opts.yLabel)}</text>`);

  // Events: a vertical line each, labels numbered under the plot so they never overlap.
  events.forEach((e, i) => {
    const ex = x(e.at).toFixed(1);
    out.push(`<line x1="${ex}" x2="${ex}" y1="${m.top}" y2="${m.top + ph}" stroke="#999" stroke-dasharray="3 3"/>`);
    out.push(`<text x="${ex}" y="${m.top - 6}" font-size="11" text-anchor="middle" fill="#555">${i + 1}</text>`);
  });
  const legendY = m.top + ph + 62;
  for (const [i, e] of events.entries()) {
    const lx = m.left + (i % 2) * (pw / 2);
    out.push(`<text x="${lx.toFixed(1)}" y="${legendY + Math.floor(i / 2) * 16}" font-size="12" fill="#444">${esc(`${i + 1}  ${e.label} (${Math.round((e.at - t0) / 1000)} s)`)}</text>`);
  }

  // Series: step lines, a slight vertical offset each so equal values stay visible side by side.
  series.forEach((s, k) => {
    const off = (k - (series.length - 1) / 2) * 2.5;
    let seg: string[] = [];
    let segDown: boolean | undefined;
    const flush = () => {
      if (seg.length > 1) out.push(`<polyline points="${seg.join(" ")}" fill="none" stroke="${s.colour}" stroke-width="2.2"${segDown ? ` stroke-dasharray="6 4" stroke-opacity="0.6"` : ""}/>`);
      seg = [];
    };
    s.points.forEach((p, i) => {
      const down = p.down ?? false;
      const px = x(p.at).toFixed(1);
      const py = (y(p.value) + off).toFixed(1);
      if (segDown !== undefined && down !== segDown) {
        // Close the previous segment at this time, at its last value, and start the new one there.
        const last = seg.at(-1)?.split(",")[1];
        if (last) seg.push(`${px},${last}`);
        flush();
        if (last) seg.push(`${px},${last}`);
      } else if (i > 0) {
        const last = seg.at(-1)?.split(",")[1];
        if (last && last !== py) seg.push(`${px},${last}`);
      }
      segDown = down;
      seg.push(`${px},${py}`);
    });
    flush();
  });
  // Each series' last value at the right edge, pushed apart where values are equal.
  const ends = series
    .map((s) => ({ s, last: s.points.at(-1) }))
    .filter((e) => e.last !== undefined)
    .map((e) => ({ ...e, ly: y(e.last!.value) + 4 }))
    .sort((a, b) => a.ly - b.ly);
  for (let i = 1; i < ends.length; i++) ends[i]!.ly = Math.max(ends[i]!.ly, ends[i - 1]!.ly + 15);
  for (const e of ends) out.push(`<text x="${m.left + pw + 8}" y="${e.ly.toFixed(1)}" font-size="12" fill="${e.s.colour}">${esc(`${e.s.label}: ${e.last!.value}`)}</text>`);
  out.push(`</svg>`);
  return out.join("\n");
}

/** Writes the chart as an SVG file (directories created). Returns the file written. */
export async function writeStepChart(file: string, series: readonly StepSeries[], opts: StepChartOptions): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, renderStepChart(series, opts));
  return file;
}
