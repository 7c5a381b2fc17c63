import { listNodes } from "../../../services/node/list-nodes";
import { procedure } from "../../init";
import { listNodesInput, listNodesOutput } from "./list-nodes.schema";

export const listNodesProcedure = procedure
  .meta({ access: "node.read" })
  .input(listNodesInput)
  .output(listNodesOutput)
  .query(({ input }) => listNodes(input));
