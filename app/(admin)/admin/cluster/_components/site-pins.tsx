"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Button } from "@/app/_components/button";
import { Card, CardBody, CardHeader } from "@/app/_components/card";
import { Field, Select } from "@/app/_components/field";
import { FormError } from "@/app/_components/form-error";
import { useToast } from "@/app/_components/toast";
import { useTRPC } from "@/app/_components/trpc-provider";
import { useFieldErrors } from "@/app/_components/use-field-errors";

/**
 * Pins for admins: choose a site, see where it runs and where it is pinned, pin it to a node or
 * unpin it (site.pin). The balancer never moves a pinned site by load; a site pinned to another
 * node than the one serving it is moved there by the balancer's next rounds. Every pinned site is
 * listed below with its own unpin button.
 */
export function SitePins() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  // The map's own feed lives inside ClusterMap; this card polls the same procedure, slowly.
  const map = useQuery({ ...trpc.cluster.getMap.queryOptions(undefined), refetchInterval: 5_000 });
  const [siteId, setSiteId] = useState("");
  const [nodeId, setNodeId] = useState("");
  const pin = useMutation(
    trpc.site.pin.mutationOptions({
      onSuccess: async (r) => {
        await queryClient.invalidateQueries(trpc.cluster.pathFilter());
        const name = map.data?.sites.find((s) => s.id === r.id)?.name ?? "The site";
        toast(
          r.pinnedNodeName
            ? {
                title: `${name} pinned to ${r.pinnedNodeName}`,
                description: r.liveNodeName && r.liveNodeName !== r.pinnedNodeName ? `The balancer moves it from ${r.liveNodeName} within its move budget.` : "The balancer leaves it where it is.",
                tone: "success",
              }
            : { title: `${name} unpinned`, description: "The balancer may move it again when its node runs hot.", tone: "success" },
        );
      },
    }),
  );
  const { fieldErrors, formError } = useFieldErrors(pin.error);

  const nodes = map.data?.nodes ?? [];
  const names = new Map(nodes.map((n) => [n.id, n.name]));
  const sites = [...(map.data?.sites ?? [])].sort((a, b) => a.name.localeCompare(b.name));
  const selected = sites.find((s) => s.id === siteId) ?? null;
  const pinned = sites.filter((s) => s.pinnedNodeId);
  // Dead and draining nodes are refused by the server; they are not offered either.
  const pinnable = nodes.filter((n) => n.status !== "DEAD" && n.status !== "DRAINING");

  return (
    <section aria-label="Pins">
      <Card>
        <CardHeader title="Pins" description="A pinned site is never moved by the balancer. Pinning a site to another node moves it there at the balancer's next round." />
        <CardBody className="space-y-4">
          <form
            className="flex flex-wrap items-end gap-3"
            onSubmit={(e) => {
              e.preventDefault();
              if (selected && nodeId) pin.mutate({ id: selected.id, nodeId });
            }}
          >
            <Field label="Site" className="min-w-56" error={fieldErrors.id}>
              <Select
                value={siteId}
                onChange={(e) => {
                  setSiteId(e.target.value);
                  setNodeId(sites.find((s) => s.id === e.target.value)?.pinnedNodeId ?? "");
                  pin.reset();
                }}
              >
                <option value="">Choose a site…</option>
                {sites.map((s) => (
                  <option key={s.id} value={s.id}>
                    {s.name}
                  </option>
                ))}
              </Select>
            </Field>
            <Field label="Pin to node" className="min-w-44" error={fieldErrors.nodeId}>
              <Select value={nodeId} disabled={!selected} onChange={(e) => setNodeId(e.target.value)}>
                <option value="">Choose a node…</option>
                {pinnable.map((n) => (
                  <option key={n.id} value={n.id}>
                    {n.name}
                    {n.status !== "HEALTHY" ? ` (${n.status.toLowerCase()})` : ""}
                    {selected?.liveNodeId === n.id ? " (serves it now)" : ""}
                  </option>
                ))}
              </Select>
            </Field>
            <Button type="submit" disabled={!selected || !nodeId || nodeId === selected.pinnedNodeId || pin.isPending}>
              Pin
            </Button>
            {selected?.pinnedNodeId && (
              <Button type="button" variant="secondary" disabled={pin.isPending} onClick={() => pin.mutate({ id: selected.id, nodeId: null })}>
                Unpin
              </Button>
            )}
          </form>
          {selected && (
            <p className="text-sm text-zinc-600 dark:text-zinc-400">
              {selected.name} runs on {selected.liveNodeId ? (names.get(selected.liveNodeId) ?? "a removed node") : "no node yet"}
              {selected.pinnedNodeId ? `, pinned to ${names.get(selected.pinnedNodeId) ?? "a removed node"}` : ", not pinned"}
              {selected.pinnedNodeId && selected.pinnedNodeId !== selected.liveNodeId ? " (the balancer moves it there)" : ""}.
            </p>
          )}
          <FormError message={fieldErrors.id || fieldErrors.nodeId ? null : formError} />
          <div>
            <h3 className="mb-2 text-sm font-semibold text-zinc-900 dark:text-zinc-100">Pinned sites</h3>
            {pinned.length === 0 ? (
              <p className="text-sm text-zinc-500 dark:text-zinc-400">No site is pinned.</p>
            ) : (
              <ul aria-label="Pinned sites" className="divide-y divide-zinc-200 dark:divide-zinc-800">
                {pinned.map((s) => (
                  <li key={s.id} className="flex flex-wrap items-center justify-between gap-2 py-2 text-sm">
                    <span>
                      <span className="font-medium text-zinc-900 dark:text-zinc-100">{s.name}</span>{" "}
                      <span className="text-zinc-600 dark:text-zinc-400">
                        pinned to {names.get(s.pinnedNodeId!) ?? "a removed node"}
                        {s.liveNodeId !== s.pinnedNodeId && ` · runs on ${s.liveNodeId ? (names.get(s.liveNodeId) ?? "a removed node") : "no node"}: the balancer moves it there`}
                      </span>
                    </span>
                    <Button variant="ghost" size="sm" disabled={pin.isPending} onClick={() => pin.mutate({ id: s.id, nodeId: null })} aria-label={`Unpin ${s.name}`}>
                      Unpin
                    </Button>
                  </li>
                ))}
              </ul>
            )}
          </div>
        </CardBody>
      </Card>
    </section>
  );
}
