"use client";
import { useEffect } from "react";
import { Button, LinkButton } from "./_components/button";
import { Card } from "./_components/card";

// Rendered inside the root layout, so the brand colours and theme still apply. The message of a
// server error is hidden by Next in production; the digest lets support find it in the logs.
export default function ErrorPage({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  useEffect(() => {
    console.error(error);
  }, [error]);
  return (
    <main id="main" tabIndex={-1} className="flex min-h-dvh items-center justify-center px-4 outline-none">
      <Card className="w-full max-w-md px-6 py-8 text-center">
        <h1 className="text-xl font-semibold tracking-tight">Something went wrong</h1>
        <p className="mt-2 text-sm text-zinc-600 dark:text-zinc-400">
          The page could not be shown. Try again; if it keeps happening, contact support
          {error.digest ? (
            <>
              {" "}
              and quote <code className="rounded bg-zinc-100 px-1 font-mono text-xs dark:bg-zinc-800">{error.digest}</code>
            </>
          ) : null}
          .
        </p>
        <div className="mt-6 flex justify-center gap-2">
          <Button variant="primary" onClick={reset}>
            Try again
          </Button>
          <LinkButton href="/" variant="secondary">
            Go home
          </LinkButton>
        </div>
      </Card>
    </main>
  );
}
