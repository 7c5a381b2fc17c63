import { z } from "zod";
import { accountIdSchema, idSchema } from "../operation/operation.schema";
import { siteOutput } from "./site.schema";

export const getSiteInput = z.object({ id: idSchema, accountId: accountIdSchema });
export const getSiteOutput = siteOutput;
