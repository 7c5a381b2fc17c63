import { absoluteName, parseTargetName } from "./record-name";
import { typeFail, typeOk, type RecordInput, type TypeContext, type TypeResult } from "./types";

/**
 * CNAME: an alias for another name. Never at the apex (the apex always has SOA and NS), and never
 * beside other data at the same name: zone-rules.ts checks that across the zone.
 */
export function parseCnameData(input: RecordInput, ctx: TypeContext): TypeResult {
  if (ctx.name === "@") {
    return typeFail({ name: "The domain itself cannot be an alias (CNAME): it carries the zone's SOA and NS records. Use A/AAAA records." });
  }
  const target = parseTargetName(input.value, ctx.zone, { mode: ctx.mode, host: false });
  if (!target.ok) return typeFail({ value: target.error });
  if (target.value === absoluteName(ctx.name, ctx.zone)) return typeFail({ value: "A name cannot be an alias of itself." });
  return typeOk({ content: target.value });
}
