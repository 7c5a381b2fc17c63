// `npm run lint`. typescript-eslint's type-aware recommended set (it catches floating promises and
// misused async callbacks, the bugs tsc lets through), React's hooks rules, Next's rules, and the
// panel's import boundaries (the last blocks).
import fs from "node:fs";
import path from "node:path";
import js from "@eslint/js";
import next from "@next/eslint-plugin-next";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";
import tseslint from "typescript-eslint";

const root = import.meta.dirname;

// --- Import boundaries of app/ ---------------------------------------------------------------
// 1. A client component ("use client") never imports server/services, not even a type: what it
//    shares with the server lives in server/domain or in the procedure's schema file.
// 2. A route group's files are its own: what two groups show lives in app/_components.
const groups = ["auth", "customer", "reseller", "admin"];
const servicesPattern = {
  regex: "(^|/)server/services(/|$)",
  message: "Client components may not import server/services; share the type or value through server/domain or the procedure's schema file.",
};
const groupPattern = (others) => ({
  regex: `(^|/)\\((${others.join("|")})\\)/`,
  message: "Route groups do not import each other's files; move what they share to app/_components.",
});
const restrict = (...patterns) => ({ "no-restricted-imports": ["error", { patterns }] });

/** Files under app/ whose first statement is "use client", as paths relative to the root. */
function clientFiles(dir = path.join(root, "app")) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return clientFiles(p);
    if (!/\.tsx?$/.test(e.name)) return [];
    return /^\s*(\/\/.*\n\s*|\/\*[\s\S]*?\*\/\s*)*["']use client["']/.test(fs.readFileSync(p, "utf8")) ? [path.relative(root, p)] : [];
  });
}
// Glob syntax: the parentheses in a route group's folder name must be escaped.
const glob = (p) => p.replace(/[()[\]]/g, "\\$&");
const clients = clientFiles().map(glob);

const boundaries = [
  // Outside any group (app/_components, app/api, ...): no group's files.
  { files: ["app/**/*.{ts,tsx}"], rules: restrict(groupPattern(groups)) },
  { files: clients, rules: restrict(groupPattern(groups), servicesPattern) },
  ...groups.flatMap((g) => {
    const others = groups.filter((o) => o !== g);
    const inGroup = (f) => f.startsWith(glob(`app/(${g})/`));
    return [
      { files: [glob(`app/(${g})/`) + "**/*.{ts,tsx}"], rules: restrict(groupPattern(others)) },
      ...(clients.some(inGroup) ? [{ files: clients.filter(inGroup), rules: restrict(groupPattern(others), servicesPattern) }] : []),
    ];
  }),
];

export default tseslint.config(
  { ignores: ["server/generated/**", ".next*/**", "var/**", "node_modules/**", "next-env.d.ts"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      // One program from tsconfig.json: a third less CPU than projectService on this tree.
      parserOptions: { project: "./tsconfig.json", tsconfigRootDir: root },
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      // React runs an async event handler (onSubmit={async ...}) and drops its promise by design;
      // promise-returning callbacks everywhere else are still checked.
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: { attributes: false } }],
      // An async function that implements a promise-returning contract (a tRPC input, an adapter, a
      // route handler) is right without an await; the promise bugs are the two rules above.
      "@typescript-eslint/require-await": "off",
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_", ignoreRestSiblings: true },
      ],
      // Rejecting control characters in names, paths and config values is deliberate throughout
      // (server/domain, server/contract, the agent): here a control character in a regex is the point.
      "no-control-regex": "off",
    },
  },
  {
    // Tests read JSON off the wire (agent and edge APIs) and poke at it: typing every response
    // would add nothing a failing assertion does not already say.
    files: ["tests/**/*.ts"],
    rules: {
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
    },
  },
  {
    // Plain JavaScript (configs, scripts) is outside tsconfig: lint it without type information.
    files: ["**/*.{js,mjs,cjs}"],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: globals.node },
  },
  {
    files: ["**/*.tsx", "app/**/*.ts"],
    plugins: { "react-hooks": reactHooks, "@next/next": next },
    rules: {
      "react-hooks/rules-of-hooks": "error",
      "react-hooks/exhaustive-deps": "error",
      ...next.configs.recommended.rules,
      ...next.configs["core-web-vitals"].rules,
    },
  },
  ...boundaries,
);
