import { CenteredPage } from "./_components/centered-page";
import { Card } from "./_components/card";
import { LinkButton } from "./_components/button";

export const metadata = { title: "Page not found" };

export default function NotFound() {
  return (
    <CenteredPage>
      <Card className="px-6 py-8 text-center">
        <p className="text-sm font-semibold text-zinc-500 dark:text-zinc-400">404</p>
        <h1 className="mt-2 text-xl font-semibold tracking-tight">Page not found</h1>
        <p className="mt-2 text-sm text-zinc-600 dark:text-zinc-400">
          The page you asked for does not exist, or you do not have access to it.
        </p>
        <LinkButton href="/" variant="primary" className="mt-6">
          Go to your dashboard
        </LinkButton>
      </Card>
    </CenteredPage>
  );
}
