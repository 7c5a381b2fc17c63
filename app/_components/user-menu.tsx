"use client";
import Link from "next/link";
import { useEffect, useId, useRef, useState } from "react";
import { cx } from "./cx";
import { NavIcon } from "./nav-icon";
import { signOut } from "./sign-out";
import { Spinner } from "./spinner";

export function UserMenu({ name, email }: { name: string; email: string }) {
  const [open, setOpen] = useState(false);
  const [signingOut, setSigningOut] = useState(false);
  const [signOutFailed, setSignOutFailed] = useState(false);
  const menuId = useId();
  const root = useRef<HTMLDivElement>(null);
  const trigger = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (!open) return;
    const onPointer = (e: PointerEvent) => {
      if (!root.current?.contains(e.target as Node)) setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") {
        setOpen(false);
        trigger.current?.focus();
      }
    };
    document.addEventListener("pointerdown", onPointer);
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("pointerdown", onPointer);
      document.removeEventListener("keydown", onKey);
    };
  }, [open]);

  const initials = name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => w.charAt(0).toUpperCase())
    .join("") || email.charAt(0).toUpperCase();

  return (
    <div ref={root} className="relative">
      <button
        ref={trigger}
        type="button"
        aria-expanded={open}
        aria-controls={menuId}
        onClick={() => setOpen((o) => !o)}
        className="flex items-center gap-2 rounded-lg py-1 pr-2 pl-1 text-left hover:bg-zinc-100 focus-visible:outline-2 focus-visible:outline-brand dark:hover:bg-zinc-800"
      >
        <span aria-hidden="true" className="flex size-8 items-center justify-center rounded-full bg-zinc-200 text-xs font-semibold text-zinc-700 dark:bg-zinc-700 dark:text-zinc-200">
          {initials}
        </span>
        <span className="hidden min-w-0 flex-col sm:flex">
          <span className="max-w-[12rem] truncate text-sm font-medium text-zinc-900 dark:text-zinc-100">{name}</span>
          <span className="max-w-[12rem] truncate text-xs text-zinc-500 dark:text-zinc-400">{email}</span>
        </span>
        <span className="sr-only sm:hidden">Account menu for {name}</span>
        <svg aria-hidden="true" viewBox="0 0 20 20" fill="currentColor" className="size-4 text-zinc-400">
          <path fillRule="evenodd" d="M5.22 8.22a.75.75 0 0 1 1.06 0L10 11.94l3.72-3.72a.75.75 0 1 1 1.06 1.06l-4.25 4.25a.75.75 0 0 1-1.06 0L5.22 9.28a.75.75 0 0 1 0-1.06Z" clipRule="evenodd" />
        </svg>
      </button>
      <div
        id={menuId}
        hidden={!open}
        className="absolute right-0 z-40 mt-2 w-60 overflow-hidden rounded-xl border border-zinc-200 bg-white shadow-lg dark:border-zinc-700 dark:bg-zinc-900"
      >
        <div className="border-b border-zinc-200 px-4 py-3 sm:hidden dark:border-zinc-800">
          <p className="truncate text-sm font-medium">{name}</p>
          <p className="truncate text-xs text-zinc-500 dark:text-zinc-400">{email}</p>
        </div>
        <ul className="p-1">
          <li>
            <Link
              href="/account/security"
              onClick={() => setOpen(false)}
              className={itemClass}
            >
              <NavIcon name="shield" className="size-4 text-zinc-400" />
              Account security
            </Link>
          </li>
          <li>
            <button
              type="button"
              disabled={signingOut}
              onClick={async () => {
                setSigningOut(true);
                setSignOutFailed(false);
                if (!(await signOut())) {
                  setSigningOut(false);
                  setSignOutFailed(true);
                }
              }}
              className={cx(itemClass, "w-full")}
            >
              {signingOut ? (
                <Spinner className="size-4 text-zinc-400" />
              ) : (
                <svg aria-hidden="true" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="1.5" className="size-4 text-zinc-400">
                  <path strokeLinecap="round" strokeLinejoin="round" d="M15.75 9V5.25A2.25 2.25 0 0 0 13.5 3h-6a2.25 2.25 0 0 0-2.25 2.25v13.5A2.25 2.25 0 0 0 7.5 21h6a2.25 2.25 0 0 0 2.25-2.25V15m3 0 3-3m0 0-3-3m3 3H9" />
                </svg>
              )}
              Sign out
            </button>
          </li>
        </ul>
        {signOutFailed && (
          <p role="alert" className="border-t border-zinc-200 px-4 py-2 text-xs text-red-700 dark:border-zinc-800 dark:text-red-400">
            Could not sign you out. Check your connection and try again.
          </p>
        )}
      </div>
    </div>
  );
}

const itemClass =
  "flex items-center gap-2 rounded-lg px-3 py-2 text-sm text-zinc-700 hover:bg-zinc-100 focus-visible:outline-2 focus-visible:outline-brand dark:text-zinc-200 dark:hover:bg-zinc-800";
