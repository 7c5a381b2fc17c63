import { procedure, signedIn } from "../../init";
import { createDatabase } from "../../../services/database/create-database";
import { createDatabaseInput, createDatabaseOutput } from "./create-database.schema";

export const createDatabaseProcedure = procedure
  .meta({ access: "database.write" })
  .input(createDatabaseInput)
  .output(createDatabaseOutput)
  .mutation(({ ctx, input }) => createDatabase(signedIn(ctx).actor, input));
