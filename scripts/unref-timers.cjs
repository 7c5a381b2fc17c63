// Preloaded into the Prisma CLI: its WASM engine leaves 10 s / 60 s timers armed, so each
// `prisma migrate` would linger after finishing. Long timers stop holding the process open.
const originalSetTimeout = global.setTimeout;
global.setTimeout = function patchedSetTimeout(fn, ms, ...rest) {
  const timer = originalSetTimeout(fn, ms, ...rest);
  if (typeof ms === "number" && ms >= 5000 && timer && typeof timer.unref === "function") timer.unref();
  return timer;
};
