import { isIPv4, isIPv6 } from "node:net";
import { typeFail, typeOk, type RecordInput, type TypeResult } from "./types";

/** A: one IPv4 address in dotted-quad form (no leading zeros, which some resolvers read as octal). */
export function parseAData(input: RecordInput): TypeResult {
  const value = input.value.trim();
  if (value === "") return typeFail({ value: "Enter an IPv4 address, such as 192.0.2.10." });
  if (isIPv6(value)) return typeFail({ value: "This is an IPv6 address: use an AAAA record for it." });
  if (!isIPv4(value)) return typeFail({ value: "Enter an IPv4 address, such as 192.0.2.10." });
  return typeOk({ content: value });
}
