// npm run release's checks (scripts/lib/bun-runtime.ts): bytecode made by one Bun version does not load on
// another, so a release stops with one clear line when the compiler, the bun devDependency or a target's
// runtime package differ. No network: a runtime already in the cache with the wrong version must be refused.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import {
  bunVersion,
  fetchRuntime,
  lockedIntegrity,
  runtimeVersionProblem,
  TARGETS,
} from "../../scripts/lib/bun-runtime.ts";
import { ROOT } from "../support/helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "grpcperf-release-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the one Bun version of a release", () => {
  test("the devDependency is exact and is the Bun running the release", () => {
    expect(bunVersion(pkg.devDependencies.bun, Bun.version)).toEqual({ ok: true, value: Bun.version });
  });

  test("a compiler of another version is refused, naming both", () => {
    const r = bunVersion("1.4.5", "1.3.9");
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toContain("the compiling Bun is 1.3.9 but the bun devDependency is 1.4.5");
      expect(r.error.split("\n")).toHaveLength(1);
    }
  });

  test("a range instead of a version is refused", () => {
    const r = bunVersion("^1.4.5", "1.4.5");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain('"^1.4.5"; a release needs an exact version');
  });

  test("a runtime package of another version is refused", () => {
    const p = join(dir, "package.json");
    writeFileSync(p, JSON.stringify({ name: "@oven/bun-linux-aarch64", version: "1.4.4" }));
    expect(runtimeVersionProblem("@oven/bun-linux-aarch64", p, "1.4.5")).toStartWith(
      "@oven/bun-linux-aarch64 is 1.4.4 but the bun devDependency is 1.4.5",
    );
    expect(runtimeVersionProblem("@oven/bun-linux-aarch64", p, "1.4.4")).toBeUndefined();
  });

  test("fetchRuntime refuses a cached runtime of another version before building anything", () => {
    const arm64 = TARGETS.find((t) => t.name === "linux-arm64");
    if (arm64 === undefined) throw new Error("no linux-arm64 target");
    const cache = join(dir, "cache");
    const unpacked = join(cache, `${arm64.pkg.replace("/", "+")}@${pkg.devDependencies.bun}`, "package");
    mkdirSync(join(unpacked, "bin"), { recursive: true });
    writeFileSync(join(unpacked, "bin", "bun"), "");
    writeFileSync(join(unpacked, "package.json"), JSON.stringify({ name: arm64.pkg, version: "0.0.1" }));
    expect(() => fetchRuntime(arm64, pkg.devDependencies.bun, ROOT, cache)).toThrow(
      `${arm64.pkg} is 0.0.1 but the bun devDependency is ${pkg.devDependencies.bun}`,
    );
  });
});

describe("targets", () => {
  test("every runtime package-lock.json records (all but the -baseline ones) is pinned by its integrity", () => {
    const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8"));
    // bun's optionalDependencies: every platform package except the -baseline builds
    for (const t of TARGETS.filter((t) => !t.name.endsWith("-baseline"))) {
      expect(lockedIntegrity(lock, t.pkg, pkg.devDependencies.bun)).toStartWith("sha512-");
    }
    expect(lockedIntegrity(lock, "@oven/bun-linux-aarch64", "0.0.1")).toBeUndefined();
  });

  test("names are unique and say architecture and libc", () => {
    const names = TARGETS.map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
    for (const t of TARGETS) {
      expect(t.name).toStartWith(`linux-${t.arch}`);
      expect(t.name.includes("musl")).toBe(t.libc === "musl");
    }
  });
});
