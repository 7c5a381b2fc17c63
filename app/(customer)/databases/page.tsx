import { DatabasesView } from "./databases-view";

export const metadata = { title: "Databases" };

export default function DatabasesPage() {
  return <DatabasesView />;
}
