"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState, type FormEvent } from "react";
import { Button } from "@/app/_components/button";
import { Dialog } from "@/app/_components/dialog";
import { Field, Input } from "@/app/_components/field";
import { FormError } from "@/app/_components/form-error";
import { useToast } from "@/app/_components/toast";
import { useTRPC } from "@/app/_components/trpc-provider";
import { useFieldErrors } from "@/app/_components/use-field-errors";

export type NodeRow = {
  id: string;
  name: string;
  address: string;
  agentPort: number;
  status: string;
  lastHeartbeatAt: Date | null;
  capacitySites: number;
  capacityDiskMb: number;
  capacityCpus: number;
  capacityMemoryMb: number;
  siteCount: number;
};

type FormState = Record<"name" | "address" | "agentPort" | "capacitySites" | "capacityDiskMb" | "capacityCpus" | "capacityMemoryMb", string>;

// The schema defaults of a new node (prisma/schema.prisma).
const defaults: FormState = {
  name: "",
  address: "",
  agentPort: "7400",
  capacitySites: "500",
  capacityDiskMb: "100000",
  capacityCpus: "2",
  capacityMemoryMb: "4096",
};

function fromNode(node: NodeRow): FormState {
  return {
    name: node.name,
    address: node.address,
    agentPort: String(node.agentPort),
    capacitySites: String(node.capacitySites),
    capacityDiskMb: String(node.capacityDiskMb),
    capacityCpus: String(node.capacityCpus),
    capacityMemoryMb: String(node.capacityMemoryMb),
  };
}

/** Registers a node (node = null) or edits one. */
export function NodeFormDialog({ open, node, onClose }: { open: boolean; node: NodeRow | null; onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const [form, setForm] = useState<FormState>(defaults);
  const onSuccess = async (saved: { name: string }) => {
    await queryClient.invalidateQueries(trpc.node.pathFilter());
    toast({ title: node ? `${saved.name} saved` : `${saved.name} registered`, tone: "success" });
    onClose();
  };
  const register = useMutation(trpc.node.register.mutationOptions({ onSuccess }));
  const update = useMutation(trpc.node.update.mutationOptions({ onSuccess }));
  const pending = register.isPending || update.isPending;
  const { fieldErrors, formError } = useFieldErrors(node ? update.error : register.error);

  useEffect(() => {
    if (open) {
      setForm(node ? fromNode(node) : defaults);
      register.reset();
      update.reset();
    }
    // Reset only when the dialog opens or switches node; the mutations change identity each render.
    // eslint-disable-next-line react-hooks/exhaustive-deps -- on purpose, as said above
  }, [open, node?.id]);

  const set = (key: keyof FormState) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [key]: e.target.value }));
  // An empty box becomes NaN, which the schema reports next to the field.
  const num = (v: string) => (v.trim() === "" ? Number.NaN : Number(v));

  function submit(e: FormEvent) {
    e.preventDefault();
    const spec = {
      name: form.name,
      address: form.address,
      agentPort: num(form.agentPort),
      capacitySites: num(form.capacitySites),
      capacityDiskMb: num(form.capacityDiskMb),
      capacityCpus: num(form.capacityCpus),
      capacityMemoryMb: num(form.capacityMemoryMb),
    };
    if (node) update.mutate({ id: node.id, ...spec });
    else register.mutate(spec);
  }

  return (
    <Dialog open={open} onClose={onClose} title={node ? `Edit ${node.name}` : "Register a node"} busy={pending} size="lg">
      <form onSubmit={submit} className="flex flex-col gap-4" noValidate>
        <div className="grid gap-4 sm:grid-cols-2">
          <Field label="Name" required error={fieldErrors.name} hint="One label, such as node-1.">
            <Input value={form.name} onChange={set("name")} maxLength={63} autoComplete="off" spellCheck={false} />
          </Field>
          <Field label="IP address" required error={fieldErrors.address} hint="IPv4 or IPv6 of its front door and agent.">
            <Input value={form.address} onChange={set("address")} maxLength={45} autoComplete="off" spellCheck={false} className="font-mono" />
          </Field>
          <Field label="Agent port" required error={fieldErrors.agentPort}>
            <Input type="number" min={1024} max={65535} value={form.agentPort} onChange={set("agentPort")} />
          </Field>
          <Field label="Sites" required error={fieldErrors.capacitySites} hint="How many live sites it may carry.">
            <Input type="number" min={1} value={form.capacitySites} onChange={set("capacitySites")} />
          </Field>
          <Field label="CPUs" required error={fieldErrors.capacityCpus}>
            <Input type="number" min={1} value={form.capacityCpus} onChange={set("capacityCpus")} />
          </Field>
          <Field label="Memory (MB)" required error={fieldErrors.capacityMemoryMb}>
            <Input type="number" min={512} value={form.capacityMemoryMb} onChange={set("capacityMemoryMb")} />
          </Field>
          <Field label="Disk (MB)" required error={fieldErrors.capacityDiskMb}>
            <Input type="number" min={1024} value={form.capacityDiskMb} onChange={set("capacityDiskMb")} />
          </Field>
        </div>
        <FormError message={formError} />
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={onClose} disabled={pending}>
            Cancel
          </Button>
          <Button type="submit" loading={pending}>
            {node ? "Save" : "Register"}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
