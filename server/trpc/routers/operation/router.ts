import { router } from "../../init";
import { getOperationProcedure } from "./get-operation";
import { listOperationsProcedure } from "./list-operations";

export const operationRouter = router({
  list: listOperationsProcedure,
  get: getOperationProcedure,
});
