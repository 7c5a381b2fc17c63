-- Hand-written, like the other trigram indexes in the first migration. The audit log's actor
-- search is ILIKE '%term%', which scanned all rows (200k in bench/list-procedures.ts) without it.
CREATE INDEX "AuditEvent_actorEmail_trgm_idx" ON "AuditEvent" USING gin ("actorEmail" gin_trgm_ops);
