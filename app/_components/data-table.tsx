"use client";
import Link from "next/link";
import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { Button } from "./button";
import { cx } from "./cx";
import { EmptyState } from "./empty-state";
import { Spinner } from "./spinner";

// A list page keeps its paging state in useTableState, passes `table.page` (+ `table.sort` when
// the procedure sorts) to its tRPC query, and hands the result to <DataTable>:
//
//   const table = useTableState({ sort: "name" });
//   const q = useQuery(trpc.customer.findCustomers.queryOptions({ ...table.page, sort: table.sort }));
//   <DataTable table={table} data={q.data} isLoading={q.isPending} error={q.error} columns={...} />
//
// Keyset pages have no page numbers: "Next" pushes the server's nextCursor onto a stack and
// "Previous" pops it, so going back returns exactly the rows seen before.

export type SortDirection = "asc" | "desc";

export type TableState<S extends string = string> = {
  /** Spread into the list procedure's input (matches pageInputSchema). */
  page: { cursor: string | null; limit: number; direction: SortDirection; search: string | undefined };
  sort: S;
  direction: SortDirection;
  search: string;
  pageIndex: number;
  setSearch: (search: string) => void;
  /** Same key toggles the direction; a new key starts ascending. */
  toggleSort: (key: S) => void;
  next: (cursor: string) => void;
  previous: () => void;
  reset: () => void;
};

// NoInfer: the sort keys come from the type argument (or default to string), not from the
// initial `sort`, so useTableState({ sort: "name" }) still accepts the table's other sort keys.
export function useTableState<S extends string = string>(
  options: { sort?: NoInfer<S>; direction?: SortDirection; limit?: number } = {},
): TableState<S> {
  const initialSort = (options.sort ?? "createdAt") as S;
  const initialDirection = options.direction ?? "asc";
  const limit = options.limit ?? 25;
  const [sort, setSort] = useState<S>(initialSort);
  const [direction, setDirection] = useState<SortDirection>(initialDirection);
  const [search, setSearchState] = useState("");
  const [cursors, setCursors] = useState<Array<string | null>>([null]);

  const setSearch = useCallback((value: string) => {
    setSearchState(value);
    setCursors([null]);
  }, []);
  const toggleSort = useCallback(
    (key: S) => {
      if (key === sort) setDirection((d) => (d === "asc" ? "desc" : "asc"));
      else {
        setSort(key);
        setDirection("asc");
      }
      setCursors([null]);
    },
    [sort],
  );
  const next = useCallback((cursor: string) => setCursors((stack) => [...stack, cursor]), []);
  const previous = useCallback(() => setCursors((stack) => (stack.length > 1 ? stack.slice(0, -1) : stack)), []);
  const reset = useCallback(() => {
    setSort(initialSort);
    setDirection(initialDirection);
    setSearchState("");
    setCursors([null]);
  }, [initialSort, initialDirection]);

  const cursor = cursors[cursors.length - 1] ?? null;
  const trimmed = search.trim();
  const page = useMemo(
    () => ({ cursor, limit, direction, search: trimmed === "" ? undefined : trimmed }),
    [cursor, limit, direction, trimmed],
  );
  return { page, sort, direction, search, pageIndex: cursors.length - 1, setSearch, toggleSort, next, previous, reset };
}

export type Column<T, S extends string = string> = {
  /** Stable key for React. */
  key: string;
  header: ReactNode;
  cell: (row: T) => ReactNode;
  /** When set, the header becomes a button that sorts by this server-side key. */
  sortKey?: S;
  className?: string;
  /** Hide below the `sm` breakpoint (secondary columns on phones). */
  hideOnMobile?: boolean;
};

export type DataTableProps<T extends { id: string }, S extends string = string> = {
  columns: Array<Column<T, S>>;
  table: TableState<S>;
  data: { items: T[]; nextCursor: string | null } | undefined;
  isLoading: boolean;
  /** A query error (shown in place of the rows, with the message). */
  error?: { message: string } | null;
  /** Accessible name of the table ("Customers"). */
  label: string;
  /** Omit to hide the search box (for procedures without `search`). */
  searchPlaceholder?: string;
  /** Makes each row a link; the first column's cell carries the link so keyboard users get one tab stop per row. */
  rowHref?: (row: T) => string;
  /** What to show when there are no rows at all (no search). */
  empty?: ReactNode;
  /** Controls to the right of the search box (filters, a "New" button). */
  toolbar?: ReactNode;
  className?: string;
};

export function DataTable<T extends { id: string }, S extends string = string>({
  columns,
  table,
  data,
  isLoading,
  error,
  label,
  searchPlaceholder,
  rowHref,
  empty,
  toolbar,
  className,
}: DataTableProps<T, S>) {
  const items = data?.items ?? [];
  const hasNext = Boolean(data?.nextCursor);
  const hasPrevious = table.pageIndex > 0;
  const showPager = hasNext || hasPrevious;

  return (
    <div
      className={cx(
        "overflow-hidden rounded-xl border border-zinc-200 bg-white shadow-sm dark:border-zinc-800 dark:bg-zinc-900",
        className,
      )}
    >
      {(searchPlaceholder || toolbar) && (
        <div className="flex flex-wrap items-center gap-3 border-b border-zinc-200 px-4 py-3 dark:border-zinc-800">
          {searchPlaceholder && (
            <SearchBox value={table.search} onChange={table.setSearch} placeholder={searchPlaceholder} label={`Search ${label.toLowerCase()}`} />
          )}
          {toolbar && <div className="ml-auto flex flex-wrap items-center gap-2">{toolbar}</div>}
        </div>
      )}

      <div className="overflow-x-auto">
        {/* Below the sm breakpoint each row is a stacked card, so every cell, row actions included,
            fits a phone's width without sideways scrolling. */}
        <table className="w-full text-left text-sm max-sm:block" aria-busy={isLoading || undefined}>
          <caption className="sr-only">{label}</caption>
          <thead className="bg-zinc-50 text-xs uppercase tracking-wide text-zinc-500 max-sm:block dark:bg-zinc-900/80 dark:text-zinc-400">
            <tr className="max-sm:flex max-sm:flex-wrap">
              {columns.map((col) => {
                const active = col.sortKey !== undefined && col.sortKey === table.sort;
                return (
                  <th
                    key={col.key}
                    scope="col"
                    aria-sort={active ? (table.direction === "asc" ? "ascending" : "descending") : undefined}
                    className={cx("px-4 py-2.5 font-medium", (col.hideOnMobile || col.sortKey === undefined) && "max-sm:hidden", col.hideOnMobile && "hidden sm:table-cell", col.className)}
                  >
                    {col.sortKey !== undefined ? (
                      <button
                        type="button"
                        onClick={() => table.toggleSort(col.sortKey as S)}
                        className="-mx-1 inline-flex items-center gap-1 rounded px-1 uppercase hover:text-zinc-900 focus-visible:outline-2 focus-visible:outline-brand dark:hover:text-zinc-100"
                      >
                        {col.header}
                        <SortIcon state={active ? table.direction : null} />
                      </button>
                    ) : (
                      col.header
                    )}
                  </th>
                );
              })}
            </tr>
          </thead>
          <tbody className="divide-y divide-zinc-100 max-sm:block dark:divide-zinc-800">
            {error ? (
              <tr className="max-sm:block">
                <td colSpan={columns.length} className="px-4 py-10 text-center max-sm:block text-sm text-red-700 dark:text-red-400" role="alert">
                  Could not load {label.toLowerCase()}: {error.message}
                </td>
              </tr>
            ) : isLoading && items.length === 0 ? (
              <tr className="max-sm:block">
                <td colSpan={columns.length} className="px-4 py-10 max-sm:block">
                  <span className="flex items-center justify-center gap-2 text-zinc-500 dark:text-zinc-400">
                    <Spinner /> Loading…
                  </span>
                </td>
              </tr>
            ) : items.length === 0 ? (
              <tr className="max-sm:block">
                <td colSpan={columns.length} className="max-sm:block">
                  {table.page.search ? (
                    <EmptyState
                      title="No matches"
                      description={`Nothing matches “${table.page.search}”.`}
                      action={
                        <Button variant="secondary" size="sm" onClick={() => table.setSearch("")}>
                          Clear search
                        </Button>
                      }
                    />
                  ) : (
                    (empty ?? <EmptyState title={`No ${label.toLowerCase()} yet`} />)
                  )}
                </td>
              </tr>
            ) : (
              items.map((row) => (
                <tr
                  key={row.id}
                  className={cx(
                    "text-zinc-700 max-sm:block max-sm:py-2 dark:text-zinc-300",
                    rowHref && "relative hover:bg-zinc-50 focus-within:bg-zinc-50 dark:hover:bg-zinc-800/60 dark:focus-within:bg-zinc-800/60",
                    isLoading && "opacity-60",
                  )}
                >
                  {columns.map((col, i) => (
                    <td
                      key={col.key}
                      className={cx("px-4 py-3 align-middle max-sm:block max-sm:py-1", col.hideOnMobile && "hidden sm:table-cell", col.className, "max-sm:text-left")}
                    >
                      {rowHref && i === 0 ? (
                        // The ::after overlay stretches the link over the whole row, so a click
                        // anywhere opens it while the row stays one link for assistive technology.
                        <Link
                          href={rowHref(row)}
                          className="font-medium text-zinc-900 after:absolute after:inset-0 hover:underline focus-visible:outline-none dark:text-zinc-100"
                        >
                          {col.cell(row)}
                        </Link>
                      ) : (
                        <>
                          {/* Stacked on a phone, a cell says what it is: the header row is hidden there. */}
                          {i > 0 && typeof col.header === "string" && (
                            <span className="mr-1.5 text-xs text-zinc-500 sm:hidden dark:text-zinc-400">{col.header}:</span>
                          )}
                          {col.cell(row)}
                        </>
                      )}
                    </td>
                  ))}
                </tr>
              ))
            )}
          </tbody>
        </table>
      </div>

      {showPager && (
        <nav
          aria-label={`${label} pages`}
          className="flex items-center justify-between gap-3 border-t border-zinc-200 px-4 py-3 text-sm text-zinc-500 dark:border-zinc-800 dark:text-zinc-400"
        >
          <span>Page {table.pageIndex + 1}</span>
          <div className="flex gap-2">
            <Button variant="secondary" size="sm" onClick={table.previous} disabled={!hasPrevious || isLoading}>
              Previous
            </Button>
            <Button
              variant="secondary"
              size="sm"
              onClick={() => data?.nextCursor && table.next(data.nextCursor)}
              disabled={!hasNext || isLoading}
            >
              Next
            </Button>
          </div>
        </nav>
      )}
    </div>
  );
}

function SortIcon({ state }: { state: SortDirection | null }) {
  return (
    <svg aria-hidden="true" viewBox="0 0 12 12" className={cx("size-3", state ? "text-zinc-900 dark:text-zinc-100" : "opacity-40")} fill="currentColor">
      {state !== "desc" && <path d="M6 2 9 5.5H3z" />}
      {state !== "asc" && <path d="M6 10 3 6.5h6z" />}
    </svg>
  );
}

/** Calls back 300 ms after the user stops typing, so each keystroke is not a query. */
export function SearchBox({
  value,
  onChange,
  placeholder,
  label,
  delayMs = 300,
}: {
  value: string;
  onChange: (value: string) => void;
  placeholder: string;
  label: string;
  delayMs?: number;
}) {
  const [text, setText] = useState(value);
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;
  const lastSent = useRef(value);

  // An outside reset (e.g. "Clear search") must show in the box.
  useEffect(() => {
    if (value !== lastSent.current) {
      lastSent.current = value;
      setText(value);
    }
  }, [value]);

  useEffect(() => {
    if (text === lastSent.current) return;
    const timer = setTimeout(() => {
      lastSent.current = text;
      onChangeRef.current(text);
    }, delayMs);
    return () => clearTimeout(timer);
  }, [text, delayMs]);

  return (
    <div className="relative w-full max-w-xs">
      <svg
        aria-hidden="true"
        viewBox="0 0 20 20"
        fill="currentColor"
        className="pointer-events-none absolute top-1/2 left-2.5 size-4 -translate-y-1/2 text-zinc-400"
      >
        <path fillRule="evenodd" d="M9 3.5a5.5 5.5 0 1 0 0 11 5.5 5.5 0 0 0 0-11ZM2 9a7 7 0 1 1 12.45 4.39l3.58 3.58a.75.75 0 1 1-1.06 1.06l-3.58-3.58A7 7 0 0 1 2 9Z" clipRule="evenodd" />
      </svg>
      <input
        type="search"
        value={text}
        maxLength={100}
        onChange={(e) => setText(e.target.value)}
        placeholder={placeholder}
        aria-label={label}
        className="block h-9 w-full rounded-lg border border-zinc-300 bg-white pr-3 pl-8 text-sm text-zinc-900 placeholder:text-zinc-400 focus:outline-2 focus:outline-brand dark:border-zinc-700 dark:bg-zinc-950 dark:text-zinc-100"
      />
    </div>
  );
}
