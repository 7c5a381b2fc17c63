import { describe, expect, it } from "vitest";
import { clientIpFromForwardedFor, normaliseIp, parseTrustedProxies } from "../../../../server/http/trusted-proxies";

describe("parseTrustedProxies", () => {
  it("matches IPv4 and IPv6 subnets at their boundaries", () => {
    const list = parseTrustedProxies(" 10.0.0.0/8, 192.168.1.7 ,fd00::/8, 2001:db8::1/128");
    expect(list.check("10.255.255.255", "ipv4")).toBe(true);
    expect(list.check("11.0.0.0", "ipv4")).toBe(false);
    expect(list.check("192.168.1.7", "ipv4")).toBe(true);
    expect(list.check("192.168.1.8", "ipv4")).toBe(false);
    expect(list.check("fdff:ffff::1", "ipv6")).toBe(true);
    expect(list.check("fe00::1", "ipv6")).toBe(false);
    expect(list.check("2001:db8::1", "ipv6")).toBe(true);
    expect(list.check("2001:db8::2", "ipv6")).toBe(false);
  });

  it("treats /0 as everything of that family and an empty list as nobody", () => {
    expect(parseTrustedProxies("0.0.0.0/0").check("203.0.113.9", "ipv4")).toBe(true);
    expect(parseTrustedProxies("").check("127.0.0.1", "ipv4")).toBe(false);
  });

  it.each(["10.0.0.0/33", "fd00::/129", "10.0.0.0/x", "10.0.0/8", "example.com", "10.0.0.0/8/1", "::/-1"])(
    "refuses %s",
    (spec) => {
      expect(() => parseTrustedProxies(spec)).toThrow(/TRUSTED_PROXY_CIDRS/);
    },
  );
});

describe("normaliseIp", () => {
  it.each([
    ["203.0.113.9", "203.0.113.9"],
    [" 203.0.113.9:4431 ", "203.0.113.9"],
    ["::ffff:127.0.0.1", "127.0.0.1"],
    ["[2001:DB8::1]:443", "2001:db8::1"],
    ["fe80::1%eth0", "fe80::1"],
    ["unknown", null],
    ["", null],
    ["999.1.1.1", null],
  ])("%s -> %s", (input, expected) => {
    expect(normaliseIp(input)).toBe(expected);
  });
});

describe("clientIpFromForwardedFor", () => {
  const proxies = parseTrustedProxies("10.0.0.0/8, fd00::/8");

  it("without trusted proxies takes the rightmost hop (what Next wrote from the socket)", () => {
    expect(clientIpFromForwardedFor("198.51.100.1", parseTrustedProxies(""))).toBe("198.51.100.1");
    expect(clientIpFromForwardedFor("6.6.6.6, 198.51.100.1", parseTrustedProxies(""))).toBe("198.51.100.1");
  });

  it("skips trusted hops from the right and ignores what the client wrote further left", () => {
    expect(clientIpFromForwardedFor("1.2.3.4, 198.51.100.1, 10.0.0.2, 10.1.0.3", proxies)).toBe("198.51.100.1");
    expect(clientIpFromForwardedFor("2001:db8::9, fd00::1", proxies)).toBe("2001:db8::9");
  });

  it("returns the leftmost hop when every hop is a trusted proxy", () => {
    expect(clientIpFromForwardedFor("10.0.0.1, 10.0.0.2", proxies)).toBe("10.0.0.1");
  });

  it("stops at a malformed hop instead of reading past it", () => {
    expect(clientIpFromForwardedFor("1.2.3.4, garbage, 10.0.0.2", proxies)).toBe("10.0.0.2");
    expect(clientIpFromForwardedFor("1.2.3.4, garbage", proxies)).toBeNull();
  });

  it("is null without a header", () => {
    expect(clientIpFromForwardedFor(null, proxies)).toBeNull();
    expect(clientIpFromForwardedFor("", proxies)).toBeNull();
  });
});
