import type { Step } from "./diff-node";

// Where a converge's time goes: its phases (reading the node, the steps, the check after them) by
// wall clock, and each step kind's count and summed time. The agent exports it as Prometheus
// histograms (agent-metrics.ts) and logs it once per converge that changed something
// (routes/spec-routes.ts), so an operator can tell a slow qgroup change from a slow php-fpm start
// without a profiler. Steps run side by side (different accounts' masters) each count their own
// time, so a kind's sum can exceed the steps phase; a batch of pool or vhost writes checked
// together counts as one step of its kind.

export type ConvergePhase = "prepare" | "observe" | "steps" | "recheck";

export type ConvergeTiming = {
  /** From the spec parsed to the results returned. */
  totalMs: number;
  phases: Record<ConvergePhase, number>;
  /** Per step kind: how many ran (a checked batch counts once) and their summed duration. */
  steps: Partial<Record<Step["kind"], { count: number; ms: number }>>;
};

export type ConvergeTimer = {
  /** Runs `fn`, adding its wall-clock time to `phase`. */
  phase<T>(phase: ConvergePhase, fn: () => Promise<T>): Promise<T>;
  /** Runs `fn`, counting it as one step of `kind` (also when it throws). */
  step<T>(kind: Step["kind"], fn: () => Promise<T>): Promise<T>;
  /** Adds time measured by the caller to `phase` (a loop whose parts are timed as steps). */
  addPhase(phase: ConvergePhase, ms: number): void;
  /** Adds an already measured step (the deferred nginx reload, timed by its caller). */
  addStep(kind: Step["kind"], ms: number): void;
  done(): ConvergeTiming;
};

const rounded = (ms: number) => Math.round(ms * 10) / 10;

/** `onStep` hears each step's own time as it ends (the per-step histogram). */
export function startConvergeTimer(options: { onStep?: (kind: Step["kind"], ms: number) => void; now?: () => number } = {}): ConvergeTimer {
  const now = options.now ?? (() => performance.now());
  const started = now();
  const phases: Record<ConvergePhase, number> = { prepare: 0, observe: 0, steps: 0, recheck: 0 };
  const steps: ConvergeTiming["steps"] = {};
  const addStep = (kind: Step["kind"], ms: number) => {
    const entry = (steps[kind] ??= { count: 0, ms: 0 });
    entry.count++;
    entry.ms += ms;
    options.onStep?.(kind, ms);
  };
  const timed = async <T>(fn: () => Promise<T>, record: (ms: number) => void): Promise<T> => {
    const t = now();
    try {
      return await fn();
    } finally {
      record(now() - t);
    }
  };
  return {
    phase: (phase, fn) => timed(fn, (ms) => (phases[phase] += ms)),
    step: (kind, fn) => timed(fn, (ms) => addStep(kind, ms)),
    addPhase: (phase, ms) => {
      phases[phase] += ms;
    },
    addStep,
    done: () => ({
      totalMs: rounded(now() - started),
      phases: Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, rounded(v)])) as Record<ConvergePhase, number>,
      steps: Object.fromEntries(Object.entries(steps).map(([k, v]) => [k, { count: v.count, ms: rounded(v.ms) }])),
    }),
  };
}
