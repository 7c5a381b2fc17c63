import { PlansView } from "./plans-view";

export const metadata = { title: "Plans" };

export default function PlansPage() {
  return <PlansView />;
}
