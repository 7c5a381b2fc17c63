/** Runs tasks one at a time in arrival order, so two converges never interleave their steps. */
export type AgentLock = { run<T>(task: () => Promise<T>): Promise<T> };

export function serialise(): AgentLock {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    run<T>(task: () => Promise<T>): Promise<T> {
      const result = tail.then(task);
      tail = result.catch(() => {});
      return result;
    },
  };
}
