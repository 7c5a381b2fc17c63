import http from "node:http";
import { loadavg } from "node:os";
import { setTimeout as delay } from "node:timers/promises";
import { runOpenLoopInWorker } from "./lib/open-loop";
import { formatSummary } from "./lib/open-loop-summary";
import { writeScatterPlot, type PlotEvent } from "./lib/scatter-plot";

// Shows what the open-loop generator and the scatter plot see: a Node server on 127.0.27.1
// serving a static page at RATE/s for DURATION_MS; a stretch where it holds requests (what a move's
// pause looks like: latency climbs, nothing fails), then a stretch where it is stopped (what a
// dead node looks like: resets on the open sockets, then refusals). The load runs in a worker
// thread so this process's server work does not skew the schedule.
//   npx tsx bench/open-loop-demo.ts        RATE=200 DURATION_MS=20000 OUT=var/bench/open-loop-demo.png

const HOST = "127.0.27.1";
const PORT = Number(process.env.PORT ?? 18271);
const RATE = Number(process.env.RATE ?? 200);
const DURATION_MS = Number(process.env.DURATION_MS ?? 20_000);
const OUT = process.env.OUT ?? "var/bench/open-loop-demo.png";
// Phases as fractions of the run, so a shorter DURATION_MS keeps the same shape.
const HOLD = { from: 0.25, ms: 800 };
const STOP = { from: 0.55, ms: 2_000 };

const page = Buffer.from(`<!doctype html><title>demo</title><p>${"static page ".repeat(100)}</p>`);
let holdUntil = 0;
const server = http.createServer((req, res) => {
  const send = () => res.writeHead(200, { "content-type": "text/html", "content-length": page.length }).end(page);
  const wait = holdUntil - Date.now();
  if (wait > 0) setTimeout(send, wait);
  else send();
});
const listen = () => new Promise<void>((resolve, reject) => {
  server.once("error", reject);
  server.listen(PORT, HOST, () => {
    server.off("error", reject);
    resolve();
  });
});

const events: PlotEvent[] = [];
const mark = (label: string) => {
  events.push({ at: Date.now(), label });
  console.log(`${new Date().toISOString()} ${label}`);
};

await listen();
console.log(`serving http://${HOST}:${PORT}/ ; ${RATE}/s for ${DURATION_MS} ms; load average ${loadavg().map((v) => v.toFixed(2)).join(" ")}`);
const t0 = Date.now();
const load = runOpenLoopInWorker({
  target: { host: HOST, port: PORT },
  hostHeader: "demo.test",
  path: "/",
  ratePerSec: RATE,
  durationMs: DURATION_MS,
  timeoutMs: 3_000,
});

const script = (async () => {
  await delay(t0 + HOLD.from * DURATION_MS - Date.now());
  holdUntil = Date.now() + HOLD.ms;
  mark(`requests held ${HOLD.ms} ms`);
  // The server hangs for 150 ms before it dies, so requests are in flight when it goes: those
  // show as resets, the ones after as refusals.
  await delay(t0 + STOP.from * DURATION_MS - 150 - Date.now());
  holdUntil = Date.now() + 60_000;
  await delay(150);
  // close() stops accepting; closeAllConnections() cuts the kept-alive sockets the way a killed
  // process's sockets go.
  server.close();
  server.closeAllConnections();
  mark("server stopped");
  await delay(STOP.ms);
  holdUntil = 0;
  await listen();
  mark("server restarted");
})();

try {
  const [result] = await Promise.all([load, script]);
  const s = result.summary;
  console.log(formatSummary(s));
  console.log(JSON.stringify({ ...s, wallMs: Math.round(result.endedAt - result.startedAt) }));
  const file = await writeScatterPlot(result.records, {
    file: OUT,
    title: `open-loop demo: ${RATE} req/s for ${DURATION_MS / 1000} s against a Node server on ${HOST}`,
    startedAt: result.startedAt,
    events,
  });
  console.log(`wrote ${file}; load average ${loadavg().map((v) => v.toFixed(2)).join(" ")}`);
} finally {
  server.close();
  server.closeAllConnections();
}
