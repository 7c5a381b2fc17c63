/**
 * The steps of a planned move, in order: the panel shows them, worker/control/move-site.ts runs
 * them, and the cluster map marks a site paused while one of pause..release runs.
 */
export const moveStepKinds = ["pre-copy", "pause", "drain", "final-delta", "start-target", "route", "release", "source becomes replica"] as const;
export type MoveStepKind = (typeof moveStepKinds)[number];
