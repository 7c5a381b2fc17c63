"use client";
import { useCallback, useEffect, useSyncExternalStore } from "react";

// The hosting account the customer is looking at, remembered in this browser so that every page
// (dashboard, domains, sites, databases) acts on the same one. Only an id the server will check
// again through the tenant scope: a stale or foreign id simply reads as not found, and is dropped.
const key = "shoal.customer.accountId";
const listeners = new Set<() => void>();

function read(): string | null {
  try {
    return window.localStorage.getItem(key);
  } catch {
    return null;
  }
}

function write(value: string | null) {
  try {
    if (value) window.localStorage.setItem(key, value);
    else window.localStorage.removeItem(key);
  } catch {
    // Private browsing without storage: the choice lasts until the page reloads.
  }
  for (const l of listeners) l();
}

function subscribe(listener: () => void) {
  listeners.add(listener);
  window.addEventListener("storage", listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener("storage", listener);
  };
}

/** `accountId` is undefined until chosen: the server then picks the customer's first active account. */
export function useSelectedAccount(): { accountId: string | undefined; setAccountId: (id: string | null) => void } {
  const stored = useSyncExternalStore(subscribe, read, () => null);
  const setAccountId = useCallback((id: string | null) => write(id), []);
  return { accountId: stored ?? undefined, setAccountId };
}

type ErrorWithCode = { data?: { code?: string } | null } | null | undefined;

/** Forgets a remembered account the server no longer shows this user (deleted, or another login). */
export function useForgetStaleAccount(error: ErrorWithCode) {
  const { accountId, setAccountId } = useSelectedAccount();
  useEffect(() => {
    if (accountId && error?.data?.code === "NOT_FOUND") setAccountId(null);
  }, [accountId, error, setAccountId]);
}
