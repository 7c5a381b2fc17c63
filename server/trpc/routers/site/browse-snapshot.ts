import { procedure, signedIn } from "../../init";
import { browseSnapshot } from "../../../services/site/browse-snapshot";
import { browseSnapshotInput, browseSnapshotOutput } from "./browse-snapshot.schema";

export const browseSnapshotProcedure = procedure
  .meta({ access: "site.read" })
  .input(browseSnapshotInput)
  .output(browseSnapshotOutput)
  .query(({ ctx, input }) => browseSnapshot(signedIn(ctx).scope, input));
