import { parseTargetName } from "./record-name";
import { parseUint16 } from "./ttl";
import { typeFail, typeOk, type RecordErrors, type RecordInput, type TypeContext, type TypeResult } from "./types";

/** MX: a preference and the mail server's name (a name, never an address); "." is "no mail" (RFC 7505). */
export function parseMxData(input: RecordInput, ctx: TypeContext): TypeResult {
  const errors: RecordErrors = {};
  const priority = parseUint16(input.priority, "priority");
  if (!priority.ok) errors.priority = priority.error;
  let content = ".";
  if (input.value.trim() !== ".") {
    const target = parseTargetName(input.value, ctx.zone, { mode: ctx.mode, host: true });
    if (target.ok) content = target.value;
    else errors.value = target.error;
  } else if (priority.ok && priority.value !== 0) {
    errors.priority = 'A "no mail" MX (target ".") must have priority 0.';
  }
  if (Object.keys(errors).length > 0 || !priority.ok) return typeFail(errors);
  return typeOk({ content, priority: priority.value });
}
