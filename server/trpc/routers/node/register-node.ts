import { registerNode } from "../../../services/node/register-node";
import { procedure, signedIn } from "../../init";
import { registerNodeInput, registerNodeOutput } from "./register-node.schema";

export const registerNodeProcedure = procedure
  .meta({ access: "node.write" })
  .input(registerNodeInput)
  .output(registerNodeOutput)
  .mutation(({ ctx, input }) => registerNode(signedIn(ctx).actor, input));
