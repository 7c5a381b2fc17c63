import { procedure, signedIn } from "../../init";
import { listOperations } from "../../../services/operation/list-operations";
import { listOperationsInput, listOperationsOutput } from "./list-operations.schema";

export const listOperationsProcedure = procedure
  .meta({ access: "operation.read" })
  .input(listOperationsInput)
  .output(listOperationsOutput)
  .query(({ ctx, input }) => listOperations(signedIn(ctx).scope, input));
