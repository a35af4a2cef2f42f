// `--proto FILE` (repeatable) with `--import-path DIR` (repeatable) into one protobufjs Root. A relative
// --proto FILE is looked up under each import path first, then as given, as protoc, grpcurl and ghz do
// (`--proto shop/v1/inventory.proto --import-path protos`). Imports are
// resolved like protoc does (each import path in order, the current directory when none is given), except
// google/protobuf/*.proto which come from the binary (wkt.ts). Each file is parsed once: loading is linear.
import { readFileSync } from "node:fs";
import { isAbsolute, join, normalize, relative, resolve } from "node:path";
import protobuf from "protobufjs";
import type { Checked } from "./checked.ts";
import { wellKnown } from "./wkt.ts";

type ReadFile = (path: string) => string | undefined;

const readText: ReadFile = (path) => {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
};

/** Loads the files and everything they import; the Root is resolved (every type reference checked). */
export function loadProtoFiles(
  files: readonly string[],
  importPaths: readonly string[] = [],
  read: ReadFile = readText,
): Checked<{ root: protobuf.Root }> {
  const paths = importPaths.length > 0 ? importPaths : ["."];
  const root = new protobuf.Root();
  const done = new Set<string>();
  // Queue of [name as imported, path on disk or undefined (search), who imported it].
  const queue: Array<{ name: string; path?: string; from?: string }> = [];
  for (const f of files) {
    const places = commandLinePlaces(f, importPaths);
    const at = places.find((p) => read(p) !== undefined);
    if (at === undefined) {
      const searched = places.map((p) => JSON.stringify(p)).join(", ");
      return { ok: false, error: `${f}: cannot read the file (looked at ${searched})` };
    }
    const under = at !== f && !isAbsolute(f);
    queue.push({ name: under ? normalize(f).split("\\").join("/") : importName(f, paths), path: at });
  }
  // An index, not shift(): shifting is linear in the queue's length, which made many-file loads quadratic.
  for (let next = 0; next < queue.length; next++) {
    const item = queue[next] as { name: string; path?: string; from?: string };
    if (done.has(item.name)) continue;
    done.add(item.name);
    const builtIn = item.name.startsWith("google/protobuf/") ? wellKnown(item.name) : undefined;
    if (builtIn !== undefined && item.path === undefined) {
      root.addJSON(builtIn.nested ?? {});
      continue;
    }
    const found = item.path !== undefined ? readAt(item.path, read) : search(item.name, paths, read);
    if (found === undefined) {
      if (item.from === undefined) return { ok: false, error: `${item.path}: cannot read the file` };
      const searched = paths.map((p) => JSON.stringify(p)).join(", ");
      return {
        ok: false,
        error: `${item.from}: import "${item.name}" not found (searched import paths ${searched})`,
      };
    }
    let parsed: protobuf.IParserResult;
    try {
      parsed = protobuf.parse(found.source, root, { keepCase: true, alternateCommentMode: true });
    } catch (e) {
      return { ok: false, error: parseError(found.path, found.source, e) };
    }
    for (const dep of [...(parsed.imports ?? []), ...(parsed.weakImports ?? [])]) {
      queue.push({ name: dep, from: found.path });
    }
  }
  try {
    root.resolveAll();
  } catch (e) {
    return { ok: false, error: `${files.join(", ")}: ${e instanceof Error ? e.message : String(e)}` };
  }
  return { ok: true, root };
}

// The name a file given on the command line is known by to imports: relative to the import path holding it.
function importName(file: string, paths: readonly string[]): string {
  const abs = resolve(file);
  for (const p of paths) {
    const rel = relative(resolve(p), abs);
    if (!rel.startsWith("..") && !rel.startsWith("/")) return rel.split("\\").join("/");
  }
  return file;
}

/** Where a file named on the command line may be: under each import path (a relative name), then as given. */
function commandLinePlaces(file: string, importPaths: readonly string[]): string[] {
  if (isAbsolute(file)) return [file];
  const under = importPaths.map((p) => join(p, file));
  return [...new Set([...under, file])];
}

function readAt(path: string, read: ReadFile): { path: string; source: string } | undefined {
  const source = read(path);
  return source === undefined ? undefined : { path, source };
}

function search(name: string, paths: readonly string[], read: ReadFile) {
  for (const p of paths) {
    const found = readAt(join(p, name), read);
    if (found !== undefined) return found;
  }
  return undefined;
}

// protobufjs says "illegal token 'x' (line N)"; protoc and grpcurl say file:line:col: message. The column is
// where the offending token first appears on that line (protobufjs tracks lines, not columns).
function parseError(path: string, source: string, e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  const line = Number(/line (\d+)\)/.exec(text)?.[1] ?? 0);
  const token = /'([^']*)'/.exec(text)?.[1];
  const message = text.replace(/\s*\((?:[^()]*, )?line \d+\)\s*$/, "");
  const lineText = source.split("\n")[line - 1] ?? "";
  const at = token !== undefined && token !== "" ? lineText.indexOf(token) : -1;
  const col = at >= 0 ? at + 1 : Math.max(1, lineText.search(/\S/) + 1);
  return `${path}:${line}:${col}: ${message}`;
}
