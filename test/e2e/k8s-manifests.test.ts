// deploy/kubernetes/: the Indexed Job as scripts/k8s-bench.sh renders it, validated against the Kubernetes
// API's schemas (kubernetes-models), and the script's extraction of marked reports from pod logs (fake logs:
// there is no cluster here, and kubectl itself is not run).
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Job } from "kubernetes-models/batch/v1/Job";
import { ROOT } from "../support/helpers.ts";

const SCRIPT = join(ROOT, "scripts", "k8s-bench.sh");

function script(args: readonly string[]) {
  const p = Bun.spawnSync(["bash", SCRIPT, ...args], { stdout: "pipe", stderr: "pipe" });
  return { code: p.exitCode, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
}

const render = (extra: readonly string[] = []) =>
  script([
    "render",
    "-n",
    "4",
    "-s",
    "echo.perf.svc.cluster.local:50051",
    "-i",
    "registry.example/grpcperf:0.1.0",
    "--name",
    "grpcperf-run-1",
    ...extra,
    "--",
    "--rate",
    "40000",
    "-z",
    "2m",
    "--warmup",
    "10s",
    "-c",
    "64",
    "-H",
    'authorization: Bearer "t0k3n"',
  ]);

// biome-ignore lint/suspicious/noExplicitAny: a parsed manifest, checked by the schema below
type Manifest = any;

describe("the Indexed Job", () => {
  test("renders into a Job the Kubernetes schema accepts", () => {
    const r = render();
    expect(r.code, r.stderr).toBe(0);
    const doc = Bun.YAML.parse(r.stdout) as Manifest;
    expect(() => new Job(doc).validate()).not.toThrow();
    expect(doc.kind).toBe("Job");
    expect(doc.spec.completionMode).toBe("Indexed");
    expect(doc.spec.parallelism).toBe(4);
    expect(doc.spec.completions).toBe(4);
    expect(doc.spec.backoffLimitPerIndex).toBe(0);
    const c = doc.spec.template.spec.containers[0];
    expect(c.image).toBe("registry.example/grpcperf:0.1.0");
    expect(c.env).toContainEqual({ name: "GRPCPERF_SHARDS", value: "4" });
    const args: string[] = c.args;
    expect(args.slice(0, 3)).toEqual(["bench", "--server", "echo.perf.svc.cluster.local:50051"]);
    expect(args).toContain("--report-markers");
    // the bench flags reach the pod unchanged, quotes and all
    expect(args.slice(-10)).toEqual([
      "--rate",
      "40000",
      "-z",
      "2m",
      "--warmup",
      "10s",
      "-c",
      "64",
      "-H",
      'authorization: Bearer "t0k3n"',
    ]);
  });

  test("--start-at is computed at submit time: now + --lead, RFC 3339", () => {
    const before = Math.floor(Date.now() / 1000) * 1000;
    const r = render(["--lead", "90"]);
    const args: string[] = (Bun.YAML.parse(r.stdout) as Manifest).spec.template.spec.containers[0].args;
    const at = Date.parse(args[args.indexOf("--start-at") + 1] as string);
    expect(args[args.indexOf("--start-at") + 1]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(at - before).toBeGreaterThanOrEqual(90_000);
    expect(at - before).toBeLessThanOrEqual(100_000);
  });

  test("no field the API does not know (kubernetes-models' schemas let unknown fields through)", () => {
    // The property names each of its compiled schemas knows, from the schema's own source.
    const known = (schema: string) =>
      new Set(
        readFileSync(join(ROOT, "node_modules", "kubernetes-models", "_schemas", `${schema}.js`), "utf8").match(
          /"[A-Za-z]+"/g,
        ) ?? [],
      );
    const unknown = (obj: object, schema: string) => Object.keys(obj).filter((k) => !known(schema).has(`"${k}"`));
    const doc = Bun.YAML.parse(render().stdout) as Manifest;
    expect(unknown(doc.spec, "IoK8sApiBatchV1JobSpec")).toEqual([]);
    expect(unknown(doc.spec.template.spec, "IoK8sApiCoreV1PodSpec")).toEqual([]);
    expect(unknown(doc.spec.template.spec.containers[0], "IoK8sApiCoreV1Container")).toEqual([]);
    expect(unknown({ ...doc.spec, paralellism: 4 }, "IoK8sApiBatchV1JobSpec")).toEqual(["paralellism"]);
  });

  test("a Job the schema refuses is caught (the check is not vacuous)", () => {
    const doc = Bun.YAML.parse(render().stdout) as Manifest;
    doc.spec.completionMode = "Indexd";
    doc.spec.parallelism = "4";
    expect(() => new Job(doc).validate()).toThrow(/completionMode|parallelism/);
  });

  test("the template itself, with sample values, is a valid Job", () => {
    const text = readFileSync(join(ROOT, "deploy", "kubernetes", "job.yaml"), "utf8")
      .replaceAll("__SHARDS__", "2")
      .replaceAll(/__[A-Z_]+__/g, "x");
    expect(() => new Job(Bun.YAML.parse(text) as Manifest).validate()).not.toThrow();
  });

  test("the script refuses what would go wrong in the cluster", () => {
    expect(script(["render", "-n", "0", "-s", "a:1", "-i", "img"]).stderr).toContain("-n N");
    expect(script(["render", "-n", "2", "-s", "a:1", "-i", "img", "--", "--threshold", "p99<1ms"]).stderr).toContain(
      "give --threshold before --",
    );
    expect(script(["render", "-n", "2", "-s", "a:1", "-i", "img", "--name", "Bad_Name"]).code).toBe(2);
  });

  test("the Containerfile is the one binary on debian:12-slim", () => {
    const c = readFileSync(join(ROOT, "deploy", "kubernetes", "Containerfile"), "utf8");
    expect(c).toMatch(/^FROM debian:12-slim$/m);
    expect(c).toMatch(/^COPY dist\/grpcperf \/usr\/local\/bin\/grpcperf$/m);
    expect(c).toContain('ENTRYPOINT ["/usr/local/bin/grpcperf"]');
  });
});

describe("k8s-bench.sh extract", () => {
  test("cuts each shard's report (or failure note) out of interleaved pod logs", () => {
    const dir = mkdtempSync(join(tmpdir(), "grpcperf-k8s-"));
    const log = [
      "2026-12-04T15:00:00.001Z INFO  connected; waiting 41.2 s for --start-at",
      "--- grpcperf report shard 0/3 begin ---",
      "2026-12-04T15:00:45.100Z WARN  a stderr line that landed between the markers",
      '{"schema":"grpcperf-bench-report/2","shard":{"index":0,"count":3}}',
      "--- grpcperf report shard 0/3 end ---",
      "--- grpcperf report shard 2/3 failed ---",
      '{"schema":"grpcperf-shard-failure/1","shard":{"index":2,"count":3},"error":"cannot connect"}',
      "--- grpcperf report shard 2/3 end ---",
      "a kubelet line",
      '{"not":"between markers"}',
      "",
    ].join("\n");
    writeFileSync(join(dir, "pods.log"), log);
    const r = script(["extract", join(dir, "pods.log"), join(dir, "out")]);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(join(dir, "out")).sort()).toEqual(["shard-0.json", "shard-2.json"]);
    expect(JSON.parse(readFileSync(join(dir, "out", "shard-0.json"), "utf8")).shard.index).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, "out", "shard-2.json"), "utf8")).error).toBe("cannot connect");
  });
});
