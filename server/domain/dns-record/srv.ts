import { parseTargetName } from "./record-name";
import { parseUint16 } from "./ttl";
import { typeFail, typeOk, type RecordErrors, type RecordInput, type TypeContext, type TypeResult } from "./types";

const protocols = ["_tcp", "_udp", "_tls", "_sctp"];

/**
 * SRV (RFC 2782): the owner is _service._proto[.name]; priority, weight, port and a target host
 * ("." means the service is not offered here).
 */
export function parseSrvData(input: RecordInput, ctx: TypeContext): TypeResult {
  const errors: RecordErrors = {};
  const labels = ctx.name === "@" ? [] : ctx.name.split(".");
  if (labels.length < 2 || !/^_[a-z0-9][a-z0-9-]{0,14}$/.test(labels[0]!) || !protocols.includes(labels[1]!)) {
    errors.name = "An SRV name starts with the service and protocol, such as _sip._tcp or _imaps._tcp.";
  }
  const priority = parseUint16(input.priority, "priority");
  if (!priority.ok) errors.priority = priority.error;
  const weight = parseUint16(input.weight, "weight");
  if (!weight.ok) errors.weight = weight.error;
  const port = parseUint16(input.port, "port");
  if (!port.ok) errors.port = port.error;
  let content = ".";
  if (input.value.trim() !== ".") {
    const target = parseTargetName(input.value, ctx.zone, { mode: ctx.mode, host: true });
    if (target.ok) content = target.value;
    else errors.value = target.error;
  }
  if (Object.keys(errors).length > 0 || !priority.ok || !weight.ok || !port.ok) return typeFail(errors);
  return typeOk({ content, priority: priority.value, weight: weight.value, port: port.value });
}
