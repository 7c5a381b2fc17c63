import { parseTargetName } from "./record-name";
import { typeFail, typeOk, type RecordInput, type TypeContext, type TypeResult } from "./types";

/**
 * NS: only to delegate a name below the domain to other nameservers. The zone's own NS records
 * (at the apex) are the platform's: they come from the reseller's nameservers.
 */
export function parseNsData(input: RecordInput, ctx: TypeContext): TypeResult {
  if (ctx.name === "@") {
    return typeFail({ name: "The domain's own nameservers are set by the platform. NS records here can only delegate a name below it, such as dev." });
  }
  if (ctx.name.startsWith("*")) return typeFail({ name: "A wildcard name cannot be delegated." });
  const target = parseTargetName(input.value, ctx.zone, { mode: ctx.mode, host: true });
  if (!target.ok) return typeFail({ value: target.error });
  return typeOk({ content: target.value });
}
