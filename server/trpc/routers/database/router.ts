import { router } from "../../init";
import { createDatabaseProcedure } from "./create-database";
import { deleteDatabaseProcedure } from "./delete-database";
import { listDatabasesProcedure } from "./list-databases";

export const databaseRouter = router({
  list: listDatabasesProcedure,
  create: createDatabaseProcedure,
  delete: deleteDatabaseProcedure,
});
