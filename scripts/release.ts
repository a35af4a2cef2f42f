// `npm run release`: one binary per guest platform in dist/ (grpcperf-linux-x64, -linux-arm64, …), with
// SHA256SUMS and manifest.json (README "Install"). Each is compiled by scripts/build.sh on the Bun runtime of
// its target, an npm package at exactly the bun devDependency's version (scripts/lib/bun-runtime.ts). Every
// binary this machine can run (natively, or arm64 under qemu-aarch64-static) is asked `version --json`
// and must name its own target, libc, commit and Bun. `--targets a,b` builds a subset.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { arch } from "node:os";
import { join } from "node:path";
import pkg from "../package.json" with { type: "json" };
import { bunVersion, fetchRuntime, type Runtime, TARGETS, type Target } from "./lib/bun-runtime.ts";

const root = join(import.meta.dir, "..");
const dist = join(root, "dist");
const cache = join(root, ".tmp", "bun-runtimes");
const QEMU_ARM64 = ["qemu-aarch64-static", "-L", "/usr/aarch64-linux-gnu"];

function die(message: string): never {
  process.stderr.write(`release: ${message}\n`);
  process.exit(1);
}

function git(args: string[]): string | undefined {
  const p = Bun.spawnSync(["git", ...args], { cwd: root, stdout: "pipe", stderr: "ignore" });
  return p.success ? p.stdout.toString().trim() : undefined;
}

function commitOf(): string {
  const sha = git(["rev-parse", "--short=12", "HEAD"]) ?? "unknown";
  return git(["status", "--porcelain", "--untracked-files=no"]) ? `${sha}-dirty` : sha;
}

const onPath = (tool: string) => Bun.which(tool) !== null;

/** How this machine runs the target's binary, or why it cannot. */
function runnerFor(t: Target): { how: string; prefix: string[] } | { why: string } {
  if (t.libc === "musl") return { why: "needs a musl system with libstdc++ and libgcc" };
  if (t.arch === "x64" && arch() === "x64") {
    const avx2 = t.name.endsWith("-baseline") || /\bavx2\b/.test(readFileSync("/proc/cpuinfo", "utf8"));
    return avx2 ? { how: "native", prefix: [] } : { why: "this CPU has no AVX2" };
  }
  if (t.arch === "arm64" && arch() === "arm64") return { how: "native", prefix: [] };
  if (t.arch === "arm64" && onPath(QEMU_ARM64[0] as string) && existsSync("/usr/aarch64-linux-gnu/lib")) {
    return { how: "qemu-aarch64-static", prefix: QEMU_ARM64 };
  }
  return {
    why: "no qemu-aarch64-static with /usr/aarch64-linux-gnu (apt-get install qemu-user-static libc6-arm64-cross)",
  };
}

interface Built {
  readonly file: string;
  readonly target: Target;
  readonly runtime: Runtime;
  readonly size: number;
  readonly sha256: string;
  readonly checked: string | null;
}

const version = bunVersion(pkg.devDependencies.bun, Bun.version);
if (!version.ok) die(version.error);
const bun = version.value;

const only = process.argv.includes("--targets")
  ? (process.argv[process.argv.indexOf("--targets") + 1] ?? "").split(",")
  : undefined;
const unknown = only?.filter((n) => !TARGETS.some((t) => t.name === n)) ?? [];
if (unknown.length > 0) die(`unknown target ${unknown.join(", ")} (known: ${TARGETS.map((t) => t.name).join(", ")})`);
const targets = TARGETS.filter((t) => only === undefined || only.includes(t.name));

const commit = commitOf();
mkdirSync(dist, { recursive: true });
for (const f of readdirSync(dist, { withFileTypes: true }).map((e) => e.name)) {
  if (f.startsWith("grpcperf-") || f === "SHA256SUMS" || f === "manifest.json") rmSync(join(dist, f), { force: true });
}

const built: Built[] = [];
for (const t of targets) {
  let runtime: Runtime;
  try {
    runtime = fetchRuntime(t, bun, root, cache);
  } catch (err) {
    die(err instanceof Error ? err.message : String(err));
  }
  const file = `grpcperf-${t.name}`;
  const out = join(dist, file);
  const b = Bun.spawnSync(["bash", "scripts/build.sh", t.name, runtime.bin, out], {
    cwd: root,
    env: { ...process.env, GRPCPERF_COMMIT: commit },
    stdout: "inherit",
    stderr: "inherit",
  });
  if (!b.success) die(`building ${file} failed`);

  const runner = runnerFor(t);
  let checked: string | null = null;
  if ("how" in runner) {
    const p = Bun.spawnSync([...runner.prefix, out, "version", "--json"], {
      cwd: dist,
      stdout: "pipe",
      stderr: "pipe",
      timeout: 120_000,
    });
    if (!p.success) die(`${file} (${runner.how}) failed to run: ${p.stderr.toString().trim()}`);
    const info = JSON.parse(p.stdout.toString()) as Record<string, string>;
    const want = { version: pkg.version, commit, target: t.name, libc: t.libc, bun };
    for (const [k, v] of Object.entries(want)) {
      if (info[k] !== v) die(`${file} says ${k} ${info[k]}, expected ${v}`);
    }
    checked = runner.how;
  } else process.stderr.write(`release: ${file} not run here: ${runner.why}\n`);

  const bytes = readFileSync(out);
  const sha256 = new Bun.CryptoHasher("sha256").update(bytes).digest("hex");
  built.push({ file, target: t, runtime, size: statSync(out).size, sha256, checked });
}

writeFileSync(
  join(dist, "SHA256SUMS"),
  [...built]
    .sort((a, b) => a.file.localeCompare(b.file))
    .map((b) => `${b.sha256}  ${b.file}\n`)
    .join(""),
);
const manifest = {
  name: "grpcperf",
  version: pkg.version,
  commit,
  bun,
  files: built.map((b) => ({
    file: b.file,
    target: b.target.name,
    os: "linux",
    arch: b.target.arch,
    libc: b.target.libc,
    cpu: b.target.cpu,
    size: b.size,
    sha256: b.sha256,
    version: pkg.version,
    commit,
    bun,
    runtime: { package: b.target.pkg, version: b.runtime.version, integrity: b.runtime.integrity ?? null },
    // what ran its `version --json` at release: "native", "qemu-aarch64-static", or null (not runnable here)
    checked: b.checked,
    ...(b.target.libc === "musl" ? { needs: ["libstdc++", "libgcc"] } : {}),
  })),
};
writeFileSync(join(dist, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);

for (const b of built) {
  const mb = (b.size / 1e6).toFixed(1).padStart(6);
  process.stdout.write(`${b.file.padEnd(30)} ${mb} MB  ${b.checked ?? "not run here"}\n`);
}
process.stdout.write(`dist/SHA256SUMS, dist/manifest.json: ${built.length} files, Bun ${bun}, commit ${commit}\n`);
