import { ApiTokensView } from "@/app/_components/api-tokens/api-tokens-view";

export const metadata = { title: "API tokens" };

export default function ApiTokensPage() {
  return <ApiTokensView />;
}
