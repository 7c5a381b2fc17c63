-- An operation's and a step's error in words for the customer, beside lastError (the full detail,
-- for admins only).
ALTER TABLE "Operation" ADD COLUMN "customerError" TEXT;
ALTER TABLE "OperationStep" ADD COLUMN "customerError" TEXT;
