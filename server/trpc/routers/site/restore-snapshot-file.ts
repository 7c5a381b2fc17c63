import { procedure, signedIn } from "../../init";
import { restoreSnapshotFile } from "../../../services/site/restore-snapshot-file";
import { restoreSnapshotFileInput, restoreSnapshotFileOutput } from "./restore-snapshot-file.schema";

export const restoreSnapshotFileProcedure = procedure
  .meta({ access: "site.write" })
  .input(restoreSnapshotFileInput)
  .output(restoreSnapshotFileOutput)
  .mutation(({ ctx, input }) => restoreSnapshotFile(signedIn(ctx).actor, input));
