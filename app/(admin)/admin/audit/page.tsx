import { AuditView } from "@/app/(reseller)/reseller/audit/audit-view";

export const metadata = { title: "Audit log" };

export default function AdminAuditPage() {
  return <AuditView audience="admin" />;
}
