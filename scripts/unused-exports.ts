// Exports of src/ that no other file imports (src, test or scripts): each is either dead code or a name that
// should be module-private. Prints one `file: name` per line and exits 1 if there are any, so CI keeps it at zero.
// It reads import and export statements as Biome formats them; a namespace import (`import * as x`) or a
// dynamic import() marks every export of its module as used, since the names it reaches are not spelled out.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "..");
const SCANNED = ["src", "test", "scripts"];
const CHECKED = "src";
const SKIPPED = ["src/gen/"];

function filesUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.(ts|tsx|js|mjs)$/.test(e.name) && !e.name.endsWith(".d.ts"))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

const EXPORT_DECL =
  /^export\s+(?:declare\s+)?(?:default\s+)?(?:async\s+)?(?:function\*?|class|const|let|var|interface|type|enum|abstract\s+class)\s+([A-Za-z_$][\w$]*)/gm;
const EXPORT_LIST = /^export\s+(?:type\s+)?\{([^}]*)\}\s*(?:from\s+"([^"]+)")?/gm;
const IMPORT_NAMED = /import\s+(?:type\s+)?(?:([A-Za-z_$][\w$]*)\s*,?\s*)?(?:\{([^}]*)\})?\s*from\s+"([^"]+)"/g;
const IMPORT_NAMESPACE = /import\s+(?:type\s+)?\*\s+as\s+\w+\s+from\s+"([^"]+)"/g;
const EXPORT_STAR = /export\s+\*\s+(?:as\s+\w+\s+)?from\s+"([^"]+)"/g;
const DYNAMIC = /import\(\s*"([^"]+)"\s*\)/g;

const names = (list: string) =>
  list
    .split(",")
    .map((s) => s.trim().replace(/^type\s+/, ""))
    .filter((s) => s !== "")
    .map((s) => s.split(/\s+as\s+/)[0] as string);

function target(from: string, spec: string): string | undefined {
  if (!spec.startsWith(".")) return undefined;
  return relative(ROOT, resolve(ROOT, dirname(from), spec)).replace(/\.js$/, ".ts");
}

const exported = new Map<string, Set<string>>();
const used = new Map<string, Set<string>>();
const wholly = new Set<string>();
const use = (file: string | undefined, name: string) => {
  if (file === undefined) return;
  const set = used.get(file) ?? new Set<string>();
  set.add(name);
  used.set(file, set);
};

for (const file of SCANNED.flatMap(filesUnder)) {
  const text = readFileSync(join(ROOT, file), "utf8");
  if (file.startsWith(`${CHECKED}/`) && !SKIPPED.some((s) => file.startsWith(s))) {
    const own = new Set<string>();
    for (const m of text.matchAll(EXPORT_DECL)) own.add(m[1] as string);
    for (const m of text.matchAll(EXPORT_LIST))
      if (m[2] === undefined) for (const n of names(m[1] as string)) own.add(n);
    exported.set(file, own);
  }
  for (const m of text.matchAll(IMPORT_NAMED)) {
    const to = target(file, m[3] as string);
    if (m[1] !== undefined) use(to, "default");
    if (m[2] !== undefined) for (const n of names(m[2])) use(to, n);
  }
  for (const m of text.matchAll(EXPORT_LIST)) {
    if (m[2] !== undefined) for (const n of names(m[1] as string)) use(target(file, m[2]), n);
  }
  for (const re of [IMPORT_NAMESPACE, EXPORT_STAR, DYNAMIC]) {
    for (const m of text.matchAll(re)) {
      const to = target(file, m[1] as string);
      if (to !== undefined) wholly.add(to);
    }
  }
}

const unused: string[] = [];
for (const [file, own] of [...exported].sort(([a], [b]) => a.localeCompare(b))) {
  if (wholly.has(file)) continue;
  const seen = used.get(file) ?? new Set<string>();
  for (const name of own) if (!seen.has(name)) unused.push(`${file}: ${name}`);
}
for (const line of unused) console.log(line);
console.log(`${unused.length} export(s) of ${CHECKED}/ imported by no other file`);
process.exit(unused.length === 0 ? 0 : 1);
