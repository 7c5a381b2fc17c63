import type { PlacementCandidate } from "../../../../server/domain/placement";

/** An idle healthy node with room for 100 sites, 100 GB and 2 CPUs, changed by `over`. */
export const candidate = (name: string, over: Partial<PlacementCandidate> = {}): PlacementCandidate => ({
  id: `id-${name}`,
  name,
  status: "HEALTHY",
  capacitySites: 100,
  capacityDiskMb: 100_000,
  capacityCpus: 2,
  siteCount: 0,
  diskUsedMb: 0,
  load1: 0,
  ...over,
});
