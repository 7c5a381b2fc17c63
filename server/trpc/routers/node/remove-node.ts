import { removeNode } from "../../../services/node/remove-node";
import { procedure, signedIn } from "../../init";
import { removeNodeInput, removeNodeOutput } from "./remove-node.schema";

export const removeNodeProcedure = procedure
  .meta({ access: "node.write" })
  .input(removeNodeInput)
  .output(removeNodeOutput)
  .mutation(async ({ ctx, input }) => {
    await removeNode(signedIn(ctx).actor, input.id);
    return { id: input.id };
  });
