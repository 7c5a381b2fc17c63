import { updateNode } from "../../../services/node/update-node";
import { procedure, signedIn } from "../../init";
import { updateNodeInput, updateNodeOutput } from "./update-node.schema";

export const updateNodeProcedure = procedure
  .meta({ access: "node.write" })
  .input(updateNodeInput)
  .output(updateNodeOutput)
  .mutation(({ ctx, input: { id, ...spec } }) => updateNode(signedIn(ctx).actor, id, spec));
