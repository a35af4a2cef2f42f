// (Re)writes the bench flag table of docs/bench.md from the one flag table (src/bench/flags.ts): the region
// between the bench-flags begin/end markers is replaced, the rest of the page is left as it is. A test
// checks the page against it, so a flag added to the table and not to the docs fails CI.
// Run: bun scripts/gen-flag-docs.ts [FILE]   (default docs/bench.md)
import { BENCH_FLAGS, type FlagSpec } from "../src/bench/flags.ts";

export const BEGIN = "<!-- bench-flags:begin -->";
export const END = "<!-- bench-flags:end -->";

const code = (s: string) => `\`${s}\``;
const cell = (s: string) => s.replaceAll("|", "\\|");

function flagCell(name: string, f: FlagSpec): string {
  const long = code(f.value ? `--${name} ${f.value}` : `--${name}`);
  return f.alias ? `${long}, ${code(`-${f.alias}`)}` : long;
}

/** The markdown table: one row a flag, in the table's order, columns padded so the source reads as a table. */
export function flagTable(): string {
  const rows = (Object.entries(BENCH_FLAGS) as [string, FlagSpec][]).map(([name, f]) => [
    flagCell(name, f),
    (f.env ?? []).map(code).join(", "),
    f.preset ? "yes" : "",
    cell(f.default ?? ""),
    cell(f.help),
  ]);
  const head = ["flag", "env", "preset", "default", "meaning"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(" | ")} |`;
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/** `page` with its marked region holding `table`; undefined when the page has no (well-ordered) markers. */
export function withFlagTable(page: string, table: string): string | undefined {
  const begin = page.indexOf(BEGIN);
  const end = page.indexOf(END);
  if (begin < 0 || end < begin) return undefined;
  return `${page.slice(0, begin + BEGIN.length)}\n${table}\n${page.slice(end)}`;
}

if (import.meta.main) {
  const file = process.argv[2] ?? "docs/bench.md";
  const page = await Bun.file(file).text();
  const out = withFlagTable(page, flagTable());
  if (out === undefined) {
    console.error(`${file}: no ${BEGIN} … ${END} region`);
    process.exit(1);
  }
  if (out !== page) await Bun.write(file, out);
  console.log(out === page ? `${file}: up to date` : `${file}: flag table rewritten`);
}
