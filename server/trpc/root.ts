import { createCallerFactory, router } from "./init";
import { sessionRouter } from "./routers/session/router";
import { resellerRouter } from "./routers/reseller/router";
import { brandRouter } from "./routers/brand/router";
import { planRouter } from "./routers/plan/router";
import { customerRouter } from "./routers/customer/router";
import { domainRouter } from "./routers/domain/router";
import { siteRouter } from "./routers/site/router";
import { databaseRouter } from "./routers/database/router";
import { sftpRouter } from "./routers/sftp/router";
import { nodeRouter } from "./routers/node/router";
import { auditRouter } from "./routers/audit/router";
import { operationRouter } from "./routers/operation/router";
import { dashboardRouter } from "./routers/dashboard/router";
import { clusterRouter } from "./routers/cluster/router";
import { settingsRouter } from "./routers/settings/router";
import { dnsRouter } from "./routers/dns/router";
import { apiTokenRouter } from "./routers/api-token/router";

export const appRouter = router({
  session: sessionRouter,
  reseller: resellerRouter,
  brand: brandRouter,
  plan: planRouter,
  customer: customerRouter,
  domain: domainRouter,
  site: siteRouter,
  database: databaseRouter,
  sftp: sftpRouter,
  node: nodeRouter,
  audit: auditRouter,
  operation: operationRouter,
  dashboard: dashboardRouter,
  cluster: clusterRouter,
  settings: settingsRouter,
  dns: dnsRouter,
  apiToken: apiTokenRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
