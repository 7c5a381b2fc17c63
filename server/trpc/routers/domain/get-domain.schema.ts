import { z } from "zod";
import { accountIdSchema, idSchema } from "../operation/operation.schema";
import { domainDetailOutput } from "./domain.schema";

export const getDomainInput = z.object({ id: idSchema, accountId: accountIdSchema });
export const getDomainOutput = domainDetailOutput;
