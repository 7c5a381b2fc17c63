import { AuditView } from "@/app/_components/audit-view";

export const metadata = { title: "Audit log" };

export default function AdminAuditPage() {
  return <AuditView audience="admin" />;
}
