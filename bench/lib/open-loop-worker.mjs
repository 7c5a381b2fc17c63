// Worker entry for runOpenLoopInWorker. Plain JavaScript so it loads in any parent: under tsx the
// worker inherits tsx's loader and the .ts import just works; under vitest (or plain node) it
// does not, so tsx is registered in this thread and the import retried (with a query string,
// because a failed import stays cached under its URL).
import { parentPort, workerData } from "node:worker_threads";

async function load() {
  try {
    return await import("./open-loop.ts");
  } catch (e) {
    if (e?.code !== "ERR_UNKNOWN_FILE_EXTENSION") throw e;
    const { register } = await import("tsx/esm/api");
    register();
    return await import("./open-loop.ts?tsx");
  }
}

try {
  const { runOpenLoop } = await load();
  const controller = new AbortController();
  parentPort.on("message", (m) => {
    if (m === "abort") controller.abort();
  });
  const result = await runOpenLoop({ ...workerData, signal: controller.signal });
  parentPort.postMessage({ result });
} catch (e) {
  parentPort.postMessage({ error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
}
// The message listener would keep the thread alive.
parentPort.close();
