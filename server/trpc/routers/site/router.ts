import { router } from "../../init";
import { createSiteProcedure } from "./create-site";
import { deleteSiteProcedure } from "./delete-site";
import { getSiteProcedure } from "./get-site";
import { listSiteSnapshotsProcedure } from "./list-site-snapshots";
import { listSitesProcedure } from "./list-sites";
import { moveSiteProcedure } from "./move-site";
import { revealAppAdminProcedure } from "./reveal-app-admin";
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
});
