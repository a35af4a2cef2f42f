// The Bun runtimes the release targets are built on: npm packages @oven/bun-<os>-<arch>[-musl|-baseline],
// fetched with npm's own client (`npm pack`, through its cache) at exactly the version of the `bun`
// devDependency. Bytecode made by one Bun version does not load on another, so the compiler
// (node_modules/.bin/bun), the devDependency and every runtime must name the same version.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface Target {
  /** The file name's suffix (dist/grpcperf-<name>) and GRPCPERF_TARGET; `bun build --target=bun-<name>`. */
  readonly name: string;
  readonly pkg: string;
  readonly arch: "x64" | "arm64";
  readonly libc: "glibc" | "musl";
  /** Which processors it runs on. */
  readonly cpu: string;
}

export const TARGETS: readonly Target[] = [
  { name: "linux-x64", pkg: "@oven/bun-linux-x64", arch: "x64", libc: "glibc", cpu: "x86-64 with AVX2 (2013 on)" },
  {
    name: "linux-x64-baseline",
    pkg: "@oven/bun-linux-x64-baseline",
    arch: "x64",
    libc: "glibc",
    cpu: "any x86-64 (no AVX2 needed)",
  },
  { name: "linux-arm64", pkg: "@oven/bun-linux-aarch64", arch: "arm64", libc: "glibc", cpu: "ARMv8-A 64-bit" },
  { name: "linux-x64-musl", pkg: "@oven/bun-linux-x64-musl", arch: "x64", libc: "musl", cpu: "x86-64 with AVX2" },
  {
    name: "linux-arm64-musl",
    pkg: "@oven/bun-linux-aarch64-musl",
    arch: "arm64",
    libc: "musl",
    cpu: "ARMv8-A 64-bit",
  },
];

export type Result<T> = { ok: true; value: T } | { ok: false; error: string };

/** The one Bun version everything must be: the devDependency, which must be exact and match the compiler. */
export function bunVersion(devDependency: string | undefined, compiler: string): Result<string> {
  if (devDependency === undefined) return { ok: false, error: "package.json has no bun devDependency" };
  if (!/^\d+\.\d+\.\d+$/.test(devDependency)) {
    return {
      ok: false,
      error: `package.json: the bun devDependency is "${devDependency}"; a release needs an exact version (x.y.z): bytecode is tied to one engine`,
    };
  }
  if (compiler !== devDependency) {
    return {
      ok: false,
      error: `the compiling Bun is ${compiler} but the bun devDependency is ${devDependency}: bytecode it makes would not load on the ${devDependency} runtimes (run npm ci, and npm run release, which uses node_modules/.bin/bun)`,
    };
  }
  return { ok: true, value: devDependency };
}

/** A runtime package's version against the one wanted, from its package.json. */
export function runtimeVersionProblem(pkg: string, pkgJsonPath: string, wanted: string): string | undefined {
  let found: unknown;
  try {
    found = (JSON.parse(readFileSync(pkgJsonPath, "utf8")) as { version?: unknown }).version;
  } catch (err) {
    return `${pkg}: cannot read ${pkgJsonPath}: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (found === wanted) return undefined;
  return `${pkg} is ${String(found)} but the bun devDependency is ${wanted}: bytecode made by Bun ${wanted} does not load on another version (${pkgJsonPath})`;
}

/** The integrity npm recorded for the package in package-lock.json (bun's optionalDependencies), if any. */
export function lockedIntegrity(lock: unknown, pkg: string, version: string): string | undefined {
  const entry = (lock as { packages?: Record<string, { version?: string; integrity?: string }> }).packages?.[
    `node_modules/${pkg}`
  ];
  return entry?.version === version ? entry.integrity : undefined;
}

export interface Runtime {
  /** The Bun executable of the target. */
  readonly bin: string;
  readonly version: string;
  /** npm's sha512 integrity of the package tarball, when it came through `npm pack`. */
  readonly integrity?: string;
}

function run(cmd: string[], cwd: string): string {
  const p = Bun.spawnSync(cmd, { cwd, stdout: "pipe", stderr: "pipe" });
  if (!p.success) throw new Error(`${cmd.join(" ")} failed: ${p.stderr.toString().trim().split("\n").pop() ?? ""}`);
  return p.stdout.toString();
}

/**
 * The target's runtime at `version`, `npm pack`ed into `cacheDir` once (npm's cache makes later fetches
 * offline) and checked against package-lock.json's integrity where the lock records it (bun's
 * optionalDependencies). The host's own runtime too: npm ci moves its binary out of its package. Throws
 * with one line on any mismatch.
 */
export function fetchRuntime(target: Target, version: string, root: string, cacheDir: string): Runtime {
  const dir = join(cacheDir, `${target.pkg.replace("/", "+")}@${version}`);
  const meta = join(dir, "integrity");
  if (!existsSync(join(dir, "package", "bin", "bun"))) {
    mkdirSync(cacheDir, { recursive: true });
    const out = run(["npm", "pack", "--json", "--prefer-offline", `${target.pkg}@${version}`], cacheDir);
    const [packed] = JSON.parse(out) as Array<{ filename: string; integrity: string; version: string }>;
    if (packed === undefined) throw new Error(`npm pack ${target.pkg}@${version} printed no package`);
    const tgz = join(cacheDir, packed.filename);
    const locked = lockedIntegrity(
      JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")),
      target.pkg,
      version,
    );
    if (locked !== undefined && locked !== packed.integrity) {
      rmSync(tgz, { force: true });
      throw new Error(`${target.pkg}@${version}: the registry's tarball is not the one package-lock.json records`);
    }
    const tmp = `${dir}.partial`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    run(["tar", "-xzf", tgz, "-C", tmp], cacheDir);
    writeFileSync(join(tmp, "integrity"), `${packed.integrity}\n`);
    rmSync(tgz, { force: true });
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  }
  const problem = runtimeVersionProblem(target.pkg, join(dir, "package", "package.json"), version);
  if (problem !== undefined) throw new Error(problem);
  const integrity = existsSync(meta) ? readFileSync(meta, "utf8").trim() : undefined;
  return { bin: join(dir, "package", "bin", "bun"), version, ...(integrity ? { integrity } : {}) };
}
