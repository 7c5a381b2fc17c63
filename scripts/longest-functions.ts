// Lists the N longest functions in server/ and worker/, so long closures
// that need splitting show up without reading every file.
//
//   npx tsx scripts/longest-functions.ts [N]     (default 15)
//
// Counts function declarations, methods, constructors, accessors, arrow
// functions and function expressions, measured in lines from the first
// line of the function to its last. Nested functions are counted on their
// own too, so an outer closure's length includes its inner ones.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";

const root = join(import.meta.dirname, "..");
const dirs = ["server", "worker"];
const excluded = [join("server", "generated")];

interface Found {
  file: string;
  line: number;
  name: string;
  lines: number;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    const rel = relative(root, path);
    if (excluded.some((x) => rel === x || rel.startsWith(x + "/"))) continue;
    if (entry === "node_modules") continue;
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.tsx?$/.test(entry) && !entry.endsWith(".d.ts")) out.push(path);
  }
  return out;
}

function propertyName(name: ts.PropertyName | ts.BindingName): string | undefined {
  if (ts.isIdentifier(name) || ts.isPrivateIdentifier(name)) return name.text;
  if (ts.isStringLiteral(name) || ts.isNumericLiteral(name)) return name.text;
  if (ts.isComputedPropertyName(name)) return `[${name.expression.getText()}]`;
  return undefined;
}

// The name a reader would search for: the function's own, or else whatever
// it is assigned to, or else the call it is passed to.
function nameOf(node: ts.FunctionLikeDeclaration): string {
  if (ts.isConstructorDeclaration(node)) return "constructor";
  if (node.name) {
    const own = propertyName(node.name);
    if (own) return own;
  }
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) ||
      ts.isPropertyDeclaration(parent)) {
    return propertyName(parent.name) ?? "<anonymous>";
  }
  if (ts.isBinaryExpression(parent) && parent.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
    return parent.left.getText();
  }
  if (ts.isCallExpression(parent)) {
    const callee = parent.expression.getText().replace(/\s+/g, " ");
    return `<callback of ${callee.length > 40 ? callee.slice(0, 40) + "…" : callee}>`;
  }
  if (ts.isExportAssignment(parent)) return "default";
  return "<anonymous>";
}

function isFunction(node: ts.Node): node is ts.FunctionLikeDeclaration {
  return ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node) ||
    ts.isArrowFunction(node) || ts.isFunctionExpression(node) ||
    ts.isConstructorDeclaration(node) || ts.isGetAccessorDeclaration(node) ||
    ts.isSetAccessorDeclaration(node);
}

function functionsIn(path: string): Found[] {
  const text = readFileSync(path, "utf8");
  const kind = path.endsWith(".tsx") ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, kind);
  const found: Found[] = [];
  const visit = (node: ts.Node): void => {
    if (isFunction(node) && node.body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      found.push({ file: relative(root, path), line: start + 1, name: nameOf(node), lines: end - start + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const n = Number(process.argv[2] ?? 15);
if (!Number.isInteger(n) || n < 1) {
  console.error("usage: npx tsx scripts/longest-functions.ts [N]");
  process.exit(2);
}
const all = dirs.flatMap((d) => sourceFiles(join(root, d))).flatMap(functionsIn);
all.sort((a, b) => b.lines - a.lines || a.file.localeCompare(b.file) || a.line - b.line);
for (const f of all.slice(0, n)) {
  console.log(`${String(f.lines).padStart(5)}  ${f.file}:${f.line}  ${f.name}`);
}
