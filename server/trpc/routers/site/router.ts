import { router } from "../../init";
import { browseSnapshotProcedure } from "./browse-snapshot";
import { createSiteProcedure } from "./create-site";
import { deleteSiteProcedure } from "./delete-site";
import { getSiteProcedure } from "./get-site";
import { listSiteSnapshotsProcedure } from "./list-site-snapshots";
import { listSitesProcedure } from "./list-sites";
import { moveSiteProcedure } from "./move-site";
import { pinSiteProcedure } from "./pin-site";
import { previewRollbackProcedure } from "./preview-rollback";
import { revealAppAdminProcedure } from "./reveal-app-admin";
import { restoreSnapshotFileProcedure } from "./restore-snapshot-file";
import { rollbackSiteProcedure } from "./rollback-site";

export const siteRouter = router({
  list: listSitesProcedure,
  get: getSiteProcedure,
  create: createSiteProcedure,
  delete: deleteSiteProcedure,
  revealAppAdmin: revealAppAdminProcedure,
  listSnapshots: listSiteSnapshotsProcedure,
  rollback: rollbackSiteProcedure,
  move: moveSiteProcedure,
  pin: pinSiteProcedure,
  previewRollback: previewRollbackProcedure,
  browseSnapshot: browseSnapshotProcedure,
  restoreSnapshotFile: restoreSnapshotFileProcedure,
});
