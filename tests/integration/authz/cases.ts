import type { MatrixCase } from "./matrix";
import { resellerCases } from "../reseller/authz-cases";
import { planCases } from "../plan/authz-cases";
import { customerCases } from "../customer/authz-cases";
import { auditCases } from "../audit/authz-cases";
import { sessionCases } from "../auth/authz-cases";
import { domainCases } from "../domain/authz-cases";
import { siteCases } from "../site/authz-cases";
import { databaseCases } from "../database/authz-cases";
import { operationCases } from "../operation/authz-cases";
import { dashboardCases } from "../dashboard/authz-cases";
import { clusterCases } from "../cluster/authz-cases";
import { settingsCases } from "../settings/authz-cases";
import { dnsCases } from "../dns/authz-cases";
import { apiTokenCases } from "../api-token/authz-cases";
import { sftpCases } from "../sftp/authz-cases";

// One entry per procedure; see matrix.ts for what each field means.
export const cases: Record<string, MatrixCase> = {
  ...resellerCases,
  ...planCases,
  ...customerCases,
  ...auditCases,
  ...sessionCases,
  ...domainCases,
  ...siteCases,
  ...databaseCases,
  ...operationCases,
  ...dashboardCases,
  ...clusterCases,
  ...settingsCases,
  ...dnsCases,
  ...apiTokenCases,
  ...sftpCases,
};
