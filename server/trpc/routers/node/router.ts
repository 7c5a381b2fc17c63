import { router } from "../../init";
import { getNodeProcedure } from "./get-node";
import { listNodesProcedure } from "./list-nodes";
import { registerNodeProcedure } from "./register-node";
import { removeNodeProcedure } from "./remove-node";
import { updateNodeProcedure } from "./update-node";

export const nodeRouter = router({
  list: listNodesProcedure,
  get: getNodeProcedure,
  register: registerNodeProcedure,
  update: updateNodeProcedure,
  remove: removeNodeProcedure,
});
