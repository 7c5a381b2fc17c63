import { procedure, signedIn } from "../../init";
import { listSiteSnapshots } from "../../../services/site/list-site-snapshots";
import { listSiteSnapshotsInput, listSiteSnapshotsOutput } from "./list-site-snapshots.schema";

export const listSiteSnapshotsProcedure = procedure
  .meta({ access: "site.read" })
  .input(listSiteSnapshotsInput)
  .output(listSiteSnapshotsOutput)
  .query(({ ctx, input }) => listSiteSnapshots(signedIn(ctx).scope, input));
