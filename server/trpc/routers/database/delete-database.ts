import { procedure, signedIn } from "../../init";
import { deleteDatabase } from "../../../services/database/delete-database";
import { deleteDatabaseInput, deleteDatabaseOutput } from "./delete-database.schema";

export const deleteDatabaseProcedure = procedure
  .meta({ access: "database.write" })
  .input(deleteDatabaseInput)
  .output(deleteDatabaseOutput)
  .mutation(({ ctx, input }) => deleteDatabase(signedIn(ctx).actor, input));
