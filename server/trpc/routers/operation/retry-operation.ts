import { procedure, signedIn } from "../../init";
import { retryOperation } from "../../../services/operation/retry-operation";
import { retryOperationInput, retryOperationOutput } from "./retry-operation.schema";

export const retryOperationProcedure = procedure
  .meta({ access: "operation.retry" })
  .input(retryOperationInput)
  .output(retryOperationOutput)
  .mutation(({ ctx, input }) => retryOperation(signedIn(ctx).actor, input));
