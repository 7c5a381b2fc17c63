import { procedure, signedIn } from "../../init";
import { listDatabases } from "../../../services/database/list-databases";
import { isPending } from "../operation/operation.schema";
import { listDatabasesInput, listDatabasesOutput } from "./list-databases.schema";

export const listDatabasesProcedure = procedure
  .meta({ access: "database.read" })
  .input(listDatabasesInput)
  .output(listDatabasesOutput)
  .query(async ({ ctx, input }) => {
    const page = await listDatabases(signedIn(ctx).scope, input);
    return {
      items: page.items.map(({ generation, observedGeneration, ...d }) => ({ ...d, pending: isPending({ generation, observedGeneration }) })),
      nextCursor: page.nextCursor,
    };
  });
