import { router } from "../../init";
import { createRecordProcedure } from "./create-record";
import { deleteRecordProcedure } from "./delete-record";
import { exportZoneProcedure } from "./export-zone";
import { getZoneProcedure } from "./get-zone";
import { importZoneProcedure } from "./import-zone";
import { updateRecordProcedure } from "./update-record";

export const dnsRouter = router({
  getZone: getZoneProcedure,
  createRecord: createRecordProcedure,
  updateRecord: updateRecordProcedure,
  deleteRecord: deleteRecordProcedure,
  importZone: importZoneProcedure,
  exportZone: exportZoneProcedure,
});
