// The REST API's routes: each one is a tRPC procedure of the panel's router, reached by a method
// and a resource URL. Nothing else describes an input or an output: the handler (./handler.ts)
// validates with the procedure's own schemas by calling the procedure, and the OpenAPI document
// (./openapi.ts) is generated from the same schemas. tests/integration/rest/coverage.test.ts walks
// the router and fails on a procedure that is neither here nor in `notInApi`.
//
// Path parameters are named after the input fields they fill ({id}, {snapshotId}). Queries take
// the rest of their input from the query string; changes from a JSON body.

export type RestMethod = "GET" | "POST" | "PATCH" | "PUT" | "DELETE";

export type RestRoute = {
  method: RestMethod;
  path: string;
  procedure: string;
  summary: string;
  /** For a PATCH/PUT: the query whose answer is the resource's representation (ETag, If-Match). */
  current?: string;
  /** Answered as server-sent events: the query's answer each time it changes, until `final` says stop. */
  stream?: boolean;
};

export const restRoutes: RestRoute[] = [
  { method: "GET", path: "/resellers", procedure: "reseller.list", summary: "List sub-resellers" },
  { method: "POST", path: "/resellers", procedure: "reseller.create", summary: "Create a sub-reseller" },
  { method: "GET", path: "/resellers/{id}", procedure: "reseller.get", summary: "Get a reseller" },
  { method: "PATCH", path: "/resellers/{id}", procedure: "reseller.update", summary: "Update a reseller", current: "reseller.get" },
  { method: "POST", path: "/resellers/{id}/suspend", procedure: "reseller.suspend", summary: "Suspend a reseller and its tree" },
  { method: "POST", path: "/resellers/{id}/unsuspend", procedure: "reseller.unsuspend", summary: "Unsuspend a reseller" },

  { method: "GET", path: "/brand", procedure: "brand.get", summary: "Get a reseller's brand" },
  { method: "PATCH", path: "/brand", procedure: "brand.update", summary: "Update a reseller's brand", current: "brand.get" },
  { method: "PUT", path: "/brand/logo", procedure: "brand.uploadLogo", summary: "Upload the brand's logo" },
  { method: "GET", path: "/brand/nameservers", procedure: "brand.nameserverStatus", summary: "The nameservers in use, their glue addresses and (check=true) whether the delegation is live" },
  { method: "DELETE", path: "/brand/logo", procedure: "brand.removeLogo", summary: "Remove the brand's logo" },

  { method: "GET", path: "/plans", procedure: "plan.list", summary: "List plans" },
  { method: "POST", path: "/plans", procedure: "plan.create", summary: "Create a plan" },
  { method: "GET", path: "/plans/{id}", procedure: "plan.get", summary: "Get a plan" },
  { method: "PATCH", path: "/plans/{id}", procedure: "plan.update", summary: "Update a plan", current: "plan.get" },
  { method: "POST", path: "/plans/{id}/archive", procedure: "plan.archive", summary: "Archive a plan" },
  { method: "GET", path: "/plan-bounds", procedure: "plan.bounds", summary: "The platform's bounds on plan limits" },

  { method: "GET", path: "/customers", procedure: "customer.list", summary: "List customers" },
  { method: "POST", path: "/customers", procedure: "customer.create", summary: "Create a customer with a hosting account and a login" },
  { method: "GET", path: "/customers/{id}", procedure: "customer.get", summary: "Get a customer" },
  { method: "PATCH", path: "/customers/{id}", procedure: "customer.update", summary: "Update a customer", current: "customer.get" },
  { method: "DELETE", path: "/customers/{id}", procedure: "customer.terminate", summary: "Terminate a customer" },
  { method: "POST", path: "/customers/{id}/suspend", procedure: "customer.suspend", summary: "Suspend a customer" },
  { method: "POST", path: "/customers/{id}/unsuspend", procedure: "customer.unsuspend", summary: "Unsuspend a customer" },

  { method: "GET", path: "/dashboard", procedure: "dashboard.get", summary: "A hosting account's overview and usage" },

  { method: "GET", path: "/domains", procedure: "domain.list", summary: "List domains" },
  { method: "POST", path: "/domains", procedure: "domain.create", summary: "Add a domain" },
  { method: "GET", path: "/domains/{id}", procedure: "domain.get", summary: "Get a domain" },
  { method: "DELETE", path: "/domains/{id}", procedure: "domain.delete", summary: "Delete a domain" },

  { method: "GET", path: "/sites", procedure: "site.list", summary: "List sites" },
  { method: "POST", path: "/sites", procedure: "site.create", summary: "Create a site (optionally with an app)" },
  { method: "GET", path: "/sites/{id}", procedure: "site.get", summary: "Get a site" },
  { method: "DELETE", path: "/sites/{id}", procedure: "site.delete", summary: "Delete a site" },
  { method: "POST", path: "/sites/{id}/app-admin/reveal", procedure: "site.revealAppAdmin", summary: "Reveal the app's first admin password (once)" },
  { method: "GET", path: "/sites/{id}/snapshots", procedure: "site.listSnapshots", summary: "List a site's snapshots" },
  { method: "GET", path: "/sites/{id}/snapshots/{snapshotId}/rollback-preview", procedure: "site.previewRollback", summary: "What a rollback to a snapshot would change" },
  { method: "POST", path: "/sites/{id}/rollbacks", procedure: "site.rollback", summary: "Roll a site back to a snapshot" },
  { method: "GET", path: "/sites/{id}/snapshots/{snapshotId}/files", procedure: "site.browseSnapshot", summary: "Browse a snapshot's files" },
  { method: "POST", path: "/sites/{id}/snapshots/{snapshotId}/file-restores", procedure: "site.restoreSnapshotFile", summary: "Restore one file or folder from a snapshot" },
  { method: "POST", path: "/sites/{id}/moves", procedure: "site.move", summary: "Move a site to another node" },
  { method: "PUT", path: "/sites/{id}/pin", procedure: "site.pin", summary: "Pin a site to a node (null unpins)" },

  { method: "GET", path: "/databases", procedure: "database.list", summary: "List databases" },
  { method: "POST", path: "/databases", procedure: "database.create", summary: "Create a database" },
  { method: "DELETE", path: "/databases/{id}", procedure: "database.delete", summary: "Delete a database" },

  { method: "GET", path: "/domains/{domainId}/zone", procedure: "dns.getZone", summary: "Get a domain's DNS zone (the platform's records marked)" },
  { method: "POST", path: "/domains/{domainId}/records", procedure: "dns.createRecord", summary: "Add a DNS record" },
  { method: "PUT", path: "/dns-records/{id}", procedure: "dns.updateRecord", summary: "Replace a DNS record" },
  { method: "DELETE", path: "/dns-records/{id}", procedure: "dns.deleteRecord", summary: "Delete a DNS record" },
  { method: "POST", path: "/domains/{domainId}/zone-imports", procedure: "dns.importZone", summary: "Import a BIND zone file (all or nothing)" },
  { method: "GET", path: "/domains/{domainId}/zone-file", procedure: "dns.exportZone", summary: "Export the zone as a BIND zone file" },

  { method: "GET", path: "/sftp", procedure: "sftp.get", summary: "Get a hosting account's SFTP access" },
  { method: "PUT", path: "/sftp/password", procedure: "sftp.setPassword", summary: "Set or clear the SFTP password" },
  { method: "POST", path: "/sftp/keys", procedure: "sftp.addKey", summary: "Add an SSH public key" },
  { method: "DELETE", path: "/sftp/keys/{id}", procedure: "sftp.deleteKey", summary: "Remove an SSH public key" },

  { method: "GET", path: "/operations", procedure: "operation.list", summary: "List operations" },
  { method: "GET", path: "/operations/{id}", procedure: "operation.get", summary: "Get an operation and its steps" },
  { method: "GET", path: "/operations/{id}/events", procedure: "operation.get", summary: "Follow an operation as server-sent events", stream: true },
  { method: "POST", path: "/operations/{id}/retry", procedure: "operation.retry", summary: "Retry a failed operation" },

  { method: "GET", path: "/audit-events", procedure: "audit.list", summary: "Search the audit log" },

  { method: "GET", path: "/nodes", procedure: "node.list", summary: "List nodes" },
  { method: "POST", path: "/nodes", procedure: "node.register", summary: "Register a node" },
  { method: "GET", path: "/nodes/{id}", procedure: "node.get", summary: "Get a node" },
  { method: "PUT", path: "/nodes/{id}", procedure: "node.update", summary: "Replace a node's settings", current: "node.get" },
  { method: "DELETE", path: "/nodes/{id}", procedure: "node.remove", summary: "Remove a node" },
  { method: "GET", path: "/cluster/map", procedure: "cluster.getMap", summary: "Nodes and the sites they serve" },
  { method: "GET", path: "/cluster/health", procedure: "cluster.getHealth", summary: "Control plane health" },

  { method: "GET", path: "/settings", procedure: "settings.get", summary: "Platform settings" },
  { method: "PUT", path: "/settings", procedure: "settings.update", summary: "Replace platform settings", current: "settings.get" },
];

/** Procedures of the panel that the API leaves out, each with the reason. */
export const notInApi: Record<string, string> = {
  "session.me": "The panel's own session read-out; a token's identity is its owner's, and the cookie session is never used by the API.",
  "session.startImpersonation": "Signing in as someone else is a panel session matter; no token may carry it (impersonate has no token scope).",
  "session.stopImpersonation": "Ends a panel impersonation session; tokens have no session.",
  "apiToken.list": "Tokens are managed in the panel by a signed-in person: a token cannot list tokens.",
  "apiToken.create": "A token cannot mint a token (a leaked one must not be able to widen or renew itself).",
  "apiToken.revoke": "Tokens are revoked in the panel by a signed-in person.",
};
