import { router } from "../../init";
import { getOperationProcedure } from "./get-operation";
import { listOperationsProcedure } from "./list-operations";
import { retryOperationProcedure } from "./retry-operation";

export const operationRouter = router({
  list: listOperationsProcedure,
  get: getOperationProcedure,
  retry: retryOperationProcedure,
});
