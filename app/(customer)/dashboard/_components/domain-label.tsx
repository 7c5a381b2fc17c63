/** An IDN reads in Unicode; its ASCII (punycode) form, which DNS and certificates use, is the hint. */
export function DomainLabel({ domain }: { domain: { name: string; displayName: string } }) {
  return (
    <span className="inline-flex flex-col">
      <span>{domain.displayName}</span>
      {domain.displayName !== domain.name && (
        <span className="font-mono text-xs font-normal text-zinc-500 dark:text-zinc-400">{domain.name}</span>
      )}
    </span>
  );
}
