import { procedure, signedIn } from "../../init";
import { getOperation } from "../../../services/operation/get-operation";
import { getOperationInput, getOperationOutput } from "./get-operation.schema";

export const getOperationProcedure = procedure
  .meta({ access: "operation.read" })
  .input(getOperationInput)
  .output(getOperationOutput)
  .query(({ ctx, input }) => getOperation(signedIn(ctx).scope, input));
