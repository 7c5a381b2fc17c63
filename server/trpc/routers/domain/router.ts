import { router } from "../../init";
import { createDomainProcedure } from "./create-domain";
import { deleteDomainProcedure } from "./delete-domain";
import { getDomainProcedure } from "./get-domain";
import { listDomainsProcedure } from "./list-domains";

export const domainRouter = router({
  list: listDomainsProcedure,
  get: getDomainProcedure,
  create: createDomainProcedure,
  delete: deleteDomainProcedure,
});
