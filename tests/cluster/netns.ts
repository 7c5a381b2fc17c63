import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { runCommand } from "../../worker/agent/run-command";

// Network namespaces for the cluster harness's netns mode (startCluster({ netns: true })): each
// node in a namespace of its own whose only link is a veth pair to a bridge in the root
// namespace, so a node can be cut off for real (its link down) instead of by a firewall rule on
// loopback.
//
//   root namespace                                   node i's namespace shoal-<tag>-n<i>
//   bridge shoal-br-<tag>, <net>.254/24  ──  shoal-<tag>-v<i> ══ eth0, <net>.<i>/24; lo up
//
// <net> is SHOAL_CLUSTER_NETNS_NET (three octets of 10/8, default 10.213.0); <tag> is its last
// two octets as four hex digits (d500 for 10.213.0), since a link name has at most 15 characters.
// The control plane, the test and Postgres/Redis users in the root namespace reach the nodes over
// the bridge; the nodes reach one another over it too. A node has no route but the /24: it
// reaches nothing outside the range (its 127.0.0.1 is its own loopback; the agent needs nothing
// of the root namespace: it listens, the control plane calls it, and its only outgoing calls
// are peer probes and its nginx's upstreams, both to other nodes' addresses).
//
// Safety: before anything else the root namespace gets `blackhole <net>.0/24` (metric 4242), so
// a packet for the range never takes the host's default route off the machine, whatever state
// the bridge is in (down, half set up, deleted). The bridge's connected route (metric 0) wins
// while it exists; setup checks that `ip route get` names the bridge for every node before it
// returns. Only names and addresses of this range are ever created or deleted.

const ip = "/usr/sbin/ip";
const nsenter = "/usr/bin/nsenter";
const blackholeMetric = "4242";

export type NetnsNetwork = {
  /** Three octets, e.g. 10.213.0. */
  net: string;
  /** <net>.0/24. */
  range: string;
  bridge: string;
  /** The bridge's address: where the root namespace's connections to the nodes come from. */
  bridgeAddress: string;
  namespace(i: number): string;
  /** The veth end in the root namespace (enslaved to the bridge). */
  rootVeth(i: number): string;
  address(i: number): string;
  /** The veth end inside every node's namespace. */
  innerVeth: "eth0";
  /** The command prefix that runs a program in node i's network namespace (only its network). */
  exec(i: number): string[];
};

export function netnsNetwork(): NetnsNetwork {
  const net = process.env.SHOAL_CLUSTER_NETNS_NET ?? "10.213.0";
  const octet = "(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])";
  const m = new RegExp(`^10\\.${octet}\\.${octet}$`).exec(net);
  if (!m) throw new Error(`SHOAL_CLUSTER_NETNS_NET must be three octets of 10/8, like 10.213.0 (got "${net}").`);
  const tag = ((Number(m[1]) << 8) | Number(m[2])).toString(16).padStart(4, "0");
  const namespace = (i: number) => `shoal-${tag}-n${i}`;
  return {
    net,
    range: `${net}.0/24`,
    bridge: `shoal-br-${tag}`,
    bridgeAddress: `${net}.254`,
    namespace,
    rootVeth: (i) => `shoal-${tag}-v${i}`,
    address: (i) => `${net}.${i}`,
    innerVeth: "eth0",
    // nsenter, not `ip netns exec`: that also unshares the mount namespace (and remounts /sys),
    // so the node's processes would not see mounts made afterwards the way the harness does
    // (the btrfs loop stores). nsenter --net only switches the network, and execs the program
    // in place: the pid the harness spawned is the agent's.
    exec: (i) => [nsenter, `--net=/run/netns/${namespace(i)}`],
  };
}

const run = (args: string[]) => runCommand(ip, args);

/** The link names in the root namespace. */
async function rootLinks(): Promise<string[]> {
  return readdir("/sys/class/net").catch(() => []);
}

/**
 * Removes everything of this range that a run (this one, or one that crashed) left: the root
 * veth ends (deleting one deletes its peer), the namespaces, the bridge and the blackhole
 * route. Idempotent; touches only this range's names. Processes still inside a deleted
 * namespace keep it alive, but without a link: nothing reaches them and they reach nothing.
 */
export async function teardownNetns(n: NetnsNetwork): Promise<void> {
  const prefix = n.rootVeth(0).slice(0, -1);
  for (const link of await rootLinks()) {
    if (link.startsWith(prefix) && /^\d+$/.test(link.slice(prefix.length))) await run(["link", "del", link]).catch(() => undefined);
  }
  const nsPrefix = n.namespace(0).slice(0, -1);
  for (const ns of await readdir("/run/netns").catch(() => [] as string[])) {
    if (ns.startsWith(nsPrefix) && /^\d+$/.test(ns.slice(nsPrefix.length))) await run(["netns", "del", ns]).catch(() => undefined);
  }
  if (existsSync(`/sys/class/net/${n.bridge}`)) await run(["link", "del", n.bridge]).catch(() => undefined);
  // Last, so nothing of the range was ever routable off the machine while any of it existed.
  const { stdout } = await run(["route", "show", "type", "blackhole", n.range]).catch(() => ({ stdout: "" }));
  if (stdout.trim() !== "") await run(["route", "del", "blackhole", n.range, "metric", blackholeMetric]).catch(() => undefined);
}

/** Whether anything outside this harness already uses the range in the root namespace. */
async function foreignUse(n: NetnsNetwork): Promise<string | null> {
  const { stdout: addrs } = await run(["-o", "-4", "addr", "show"]);
  for (const line of addrs.split("\n")) {
    const [, dev, , cidr] = line.trim().split(/\s+/);
    if (cidr?.startsWith(`${n.net}.`) && dev !== n.bridge) return `${dev} holds ${cidr}`;
  }
  const { stdout: routes } = await run(["route", "show", "match", n.address(1)]);
  for (const line of routes.split("\n").filter((l) => l.trim() !== "")) {
    if (line.startsWith("default")) continue;
    return `the root namespace routes it already: ${line.trim()}`;
  }
  return null;
}

/**
 * Creates the network for `count` nodes (after removing leftovers of a crashed run) and checks
 * it: the root namespace routes every node's address over the bridge, no namespace has a route
 * beyond the range. Throws, after tearing down what it made, when anything is off.
 */
export async function setupNetns(n: NetnsNetwork, count: number): Promise<void> {
  await teardownNetns(n);
  const foreign = await foreignUse(n);
  if (foreign) throw new Error(`netns mode: ${n.range} is in use outside the test harness (${foreign}); pick another with SHOAL_CLUSTER_NETNS_NET.`);
  try {
    await run(["route", "add", "blackhole", n.range, "metric", blackholeMetric]);
    await run(["link", "add", n.bridge, "type", "bridge"]);
    await runCommand("/usr/sbin/sysctl", ["-qw", `net.ipv6.conf.${n.bridge}.disable_ipv6=1`]).catch(() => undefined);
    await run(["addr", "add", `${n.bridgeAddress}/24`, "dev", n.bridge]);
    await run(["link", "set", n.bridge, "up"]);
    for (let i = 1; i <= count; i++) {
      const ns = n.namespace(i);
      await run(["netns", "add", ns]);
      await runCommand(nsenter, [`--net=/run/netns/${ns}`, "/usr/sbin/sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"]).catch(() => undefined);
      await run(["link", "add", n.rootVeth(i), "type", "veth", "peer", "name", n.innerVeth, "netns", ns]);
      await runCommand("/usr/sbin/sysctl", ["-qw", `net.ipv6.conf.${n.rootVeth(i)}.disable_ipv6=1`]).catch(() => undefined);
      await run(["link", "set", n.rootVeth(i), "master", n.bridge, "up"]);
      await run(["-n", ns, "link", "set", "lo", "up"]);
      await run(["-n", ns, "addr", "add", `${n.address(i)}/24`, "dev", n.innerVeth]);
      await run(["-n", ns, "link", "set", n.innerVeth, "up"]);
    }
    for (let i = 1; i <= count; i++) {
      const { stdout } = await run(["route", "get", n.address(i)]);
      if (!new RegExp(`\\bdev ${n.bridge}\\b`).test(stdout)) throw new Error(`the root namespace would not route ${n.address(i)} over ${n.bridge}: ${stdout.trim()}`);
      const { stdout: routes } = await run(["-n", n.namespace(i), "route", "show"]);
      const beyond = routes.split("\n").filter((l) => l.trim() !== "" && !l.startsWith(n.range));
      if (beyond.length > 0) throw new Error(`${n.namespace(i)} has routes beyond ${n.range}: ${beyond.join("; ")}`);
    }
  } catch (e) {
    await teardownNetns(n);
    throw new Error(`netns mode: setting up ${n.range} failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Takes node i's link down inside its namespace; resolves with the time of the cut (Date.now()). */
export async function cutLink(n: NetnsNetwork, i: number): Promise<number> {
  await run(["-n", n.namespace(i), "link", "set", n.innerVeth, "down"]);
  return Date.now();
}

/** Brings node i's link back up (the kernel restores its /24 route with its address). */
export async function restoreLink(n: NetnsNetwork, i: number): Promise<void> {
  await run(["-n", n.namespace(i), "link", "set", n.innerVeth, "up"]);
  const { stdout } = await run(["-n", n.namespace(i), "route", "show", n.range]);
  if (stdout.trim() === "") await run(["-n", n.namespace(i), "route", "add", n.range, "dev", n.innerVeth, "src", n.address(i)]);
}
