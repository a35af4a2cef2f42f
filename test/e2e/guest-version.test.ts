// `grpcperf version` and `--version --json`: what a guest's inventory or a bug report needs to name the build,
// found without spawning anything (a guest may have no git; a compiled binary's own directory is not on disk).
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import { binaryRunner, ROOT } from "../support/helpers.ts";

const cwd = mkdtempSync(join(tmpdir(), "grpcperf-version-"));
const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: cwd };
const run = binaryRunner(cwd, env);

afterAll(() => rmSync(cwd, { recursive: true, force: true }));

describe("grpcperf version (compiled binary)", () => {
  test("--json: version, commit, target, libc and the Bun it runs on", () => {
    const r = run(["version", "--json"]);
    expect(r.code).toBe(0);
    expect(r.stdout.endsWith("}\n")).toBe(true);
    const info = JSON.parse(r.stdout);
    expect(Object.keys(info)).toEqual(["version", "commit", "target", "libc", "bun"]);
    expect(info.version).toBe(pkg.version);
    expect(info.commit).toMatch(/^[0-9a-f]{12}(-dirty)?$|^unknown$/);
    expect(info.target).toMatch(/^linux-(x64|arm64)(-baseline)?(-musl)?$/);
    expect(["glibc", "musl"]).toContain(info.libc);
    // the runtime inside the binary is the bun devDependency, which also runs this test
    expect(info.bun).toBe(pkg.devDependencies.bun);
    expect(info.bun).toBe(Bun.version);
  });

  test("--version --json is the same object; --version stays one line with the same commit", () => {
    const json = run(["version", "--json"]).stdout;
    expect(run(["--version", "--json"]).stdout).toBe(json);
    expect(run(["--json", "-v"]).stdout).toBe(json);
    const { version, commit } = JSON.parse(json);
    expect(run(["--version"]).stdout).toBe(`grpcperf ${version} (${commit})\n`);
  });

  test("the text form names each field on its own line", () => {
    const info = JSON.parse(run(["version", "--json"]).stdout);
    const r = run(["version"]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe(`grpcperf ${info.version}`);
    for (const key of ["commit", "target", "libc", "bun"]) {
      expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^${key} +${info[key]}$`)));
    }
  });

  test("a bad flag is a usage error", () => {
    const r = run(["version", "--jsn"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("did you mean --json?");
  });
});

describe("grpcperf --version from source", () => {
  test("spawns no git, even when one is on PATH", () => {
    // A git that leaves a mark: the version lookup once ran `git rev-parse` at every --version.
    const bin = join(cwd, "bin");
    const mark = join(cwd, "git-ran");
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, "git"), `#!/bin/sh\ntouch '${mark}'\necho 0123456789ab\n`);
    chmodSync(join(bin, "git"), 0o755);
    const p = Bun.spawnSync([process.execPath, join(ROOT, "src", "main.ts"), "--version", "--json"], {
      cwd: ROOT,
      env: { PATH: `${bin}:/usr/bin:/bin`, HOME: cwd },
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(p.exitCode).toBe(0);
    expect(JSON.parse(p.stdout.toString()).commit).toBe("source");
    expect(existsSync(mark)).toBe(false);
  });
});
