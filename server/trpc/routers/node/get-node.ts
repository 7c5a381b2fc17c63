import { getNode } from "../../../services/node/get-node";
import { procedure } from "../../init";
import { getNodeInput, getNodeOutput } from "./get-node.schema";

export const getNodeProcedure = procedure
  .meta({ access: "node.read" })
  .input(getNodeInput)
  .output(getNodeOutput)
  .query(({ input }) => getNode(input.id));
