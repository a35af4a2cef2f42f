// The one bench flag table (src/bench/flags.ts) and what is made from it: citty's args, --help's
// environment rows, the variables options.ts reads, and docs/bench.md's flag table.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BEGIN, END, flagTable, withFlagTable } from "../../scripts/gen-flag-docs.ts";
import { BENCH_FLAGS, type BenchFlagName, envNamesOf } from "../../src/bench/flags.ts";
import { resolveOptions } from "../../src/bench/options.ts";
import { benchArgs, benchEnvRows } from "../../src/cli/bench-args.ts";
import { ROOT } from "../support/helpers.ts";

/** The replaced system's variables, as the README listed them before issue 29: a compatibility contract. */
const CONTRACT: Readonly<Record<string, BenchFlagName>> = {
  SERVER_ADDR: "server",
  CONNECTIONS: "connections",
  CONCURRENT_REQUESTS: "connections",
  CONCURRENCY: "concurrency",
  THREADS: "threads",
  REQUESTS: "requests",
  TOTAL_REQUESTS: "requests",
  DURATION: "duration",
  RATE_LIMIT: "rate",
  TRANSPORT: "transport",
  SERVICE: "service",
  BENCHMARK_TYPE: "service",
  GRPC_CLIENT: "client",
  GRPCPERF_SHARDS: "shards",
  JOB_COMPLETION_INDEX: "shard",
};

const names = Object.keys(BENCH_FLAGS) as BenchFlagName[];

describe("the flag table", () => {
  test.each(Object.entries(CONTRACT))("%s is still read, for --%s", (variable, flag) => {
    expect(envNamesOf(flag)).toContain(variable);
  });

  test("GRPC_CLIENT picks the client; the flag beats it", () => {
    const r = resolveOptions({}, { GRPC_CLIENT: "http2" }, 2);
    expect(r.ok && r.options.client).toBe("http2");
    const flag = resolveOptions({ client: "lean" }, { GRPC_CLIENT: "http2" }, 2);
    expect(flag.ok && flag.options.client).toBe("lean");
  });

  test("JOB_COMPLETION_INDEX with GRPCPERF_SHARDS makes a shard", () => {
    const r = resolveOptions({}, { JOB_COMPLETION_INDEX: "1", GRPCPERF_SHARDS: "2" }, 2);
    expect(r.ok && r.options.shard && [r.options.shard.index, r.options.shard.count]).toEqual([1, 2]);
  });

  test("citty gets every flag of the table, with its alias; no alias is given twice", () => {
    const args = benchArgs as Record<string, { type: string; alias?: string; description: string }>;
    for (const name of names) {
      const spec = BENCH_FLAGS[name] as { type: string; alias?: string; help: string };
      expect(args[name]?.type).toBe(spec.type);
      expect(args[name]?.alias).toBe(spec.alias);
      expect(args[name]?.description.startsWith(spec.help)).toBe(true);
    }
    const aliases = Object.values(args).flatMap((a) => (a.alias ? [a.alias] : []));
    expect(new Set(aliases).size).toBe(aliases.length);
  });

  test("--help's ENVIRONMENT has one row per flag with variables, naming the flag", () => {
    const withEnv = names.filter((n) => envNamesOf(n).length > 0);
    expect(benchEnvRows.map(([vars]) => vars)).toEqual(withEnv.map((n) => envNamesOf(n).join(", ")));
    for (const [i, [, meaning]] of benchEnvRows.entries()) expect(meaning).toEndWith(`(--${withEnv[i]})`);
  });
});

describe("docs/bench.md's flag table", () => {
  test("the generator replaces only the marked region, and is idempotent", () => {
    const page = `# bench\n\nbefore\n${BEGIN}\nstale\n${END}\nafter\n`;
    const once = withFlagTable(page, flagTable()) as string;
    expect(once.startsWith("# bench\n\nbefore\n")).toBe(true);
    expect(once.endsWith(`${END}\nafter\n`)).toBe(true);
    expect(once).not.toContain("stale");
    expect(withFlagTable(once, flagTable())).toBe(once);
    expect(withFlagTable("no markers", flagTable())).toBeUndefined();
  });

  test("every flag has one row, in the table's order", () => {
    const rows = flagTable().split("\n").slice(2);
    expect(rows.map((r) => /`--([\w-]+)/.exec(r)?.[1])).toEqual(names);
  });

  const file = join(ROOT, "docs/bench.md");
  test.skipIf(!existsSync(file))("is what scripts/gen-flag-docs.ts writes (run it after changing a flag)", () => {
    const page = readFileSync(file, "utf8");
    expect(withFlagTable(page, flagTable())).toBe(page);
  });
});
