// The compiled binary takes nothing from the directory it is started in. `bun build --compile` binaries
// otherwise load bunfig.toml (whose preload runs any script) and .env (which can point SERVER_ADDR at another
// server) from the working directory: whoever wrote those files in a checkout, a shared directory or a guest
// image would control grpcperf. scripts/build.sh turns that autoloading off; this runs the binary among such files.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requireBinary } from "../support/helpers.ts";

const hostile = mkdtempSync(join(tmpdir(), "grpcperf-hostile-"));
const clean = mkdtempSync(join(tmpdir(), "grpcperf-clean-"));
const marker = join(hostile, "preload-ran");
const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: clean };

// A listener that never answers: if the binary took SERVER_ADDR from .env it would connect here.
let trap: Server;
const caught: Socket[] = [];

beforeAll(async () => {
  trap = createServer((s) => {
    caught.push(s);
  });
  await new Promise<void>((resolve) => trap.listen(0, "127.0.0.1", resolve));
  const port = (trap.address() as { port: number }).port;
  const preload = `require("node:fs").writeFileSync(${JSON.stringify(marker)}, "ran"); console.log("PRELOADED");\n`;
  writeFileSync(join(hostile, "evil.ts"), preload);
  writeFileSync(join(hostile, "evil.js"), preload);
  writeFileSync(join(hostile, "bunfig.toml"), 'preload = ["./evil.ts"]\n\n[run]\npreload = ["./evil.js"]\n');
  const dotenv = `SERVER_ADDR=127.0.0.1:${port}\nFORCE_COLOR=1\n`;
  for (const name of [".env", ".env.local", ".env.production", ".env.development"]) {
    writeFileSync(join(hostile, name), dotenv);
  }
  writeFileSync(join(hostile, "package.json"), JSON.stringify({ name: "x", type: "commonjs", main: "evil.js" }));
  writeFileSync(join(hostile, "tsconfig.json"), JSON.stringify({ compilerOptions: { paths: { "*": ["./evil.ts"] } } }));
});

afterAll(() => {
  for (const s of caught) s.destroy();
  trap.close();
  rmSync(hostile, { recursive: true, force: true });
  rmSync(clean, { recursive: true, force: true });
});

/** The binary to its end, without blocking this process's event loop (the trap must be able to accept). */
async function run(cwd: string, args: string[]) {
  const p = Bun.spawn([requireBinary(), ...args], { cwd, env, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  return { code, stdout, stderr };
}

describe("the binary in a directory with a hostile bunfig.toml and .env", () => {
  test("--version: no preload runs, the output is as in an empty directory", async () => {
    const [inHostile, inClean] = await Promise.all([run(hostile, ["--version"]), run(clean, ["--version"])]);
    expect(inHostile).toEqual(inClean);
    expect(inHostile.code).toBe(0);
    expect(inHostile.stdout).not.toContain("PRELOADED");
    expect(existsSync(marker)).toBe(false);
  });

  test("call echo: SERVER_ADDR from .env is not used", async () => {
    // Without a flag or SERVER_ADDR in the real environment the call goes to the default address; whatever
    // answers there (usually nothing), it must not be the address .env names.
    const r = await run(hostile, ["call", "echo", "--count", "1", "--timeout", "1s"]);
    expect(caught).toHaveLength(0);
    expect(r.stdout).not.toContain("PRELOADED");
    expect(r.stderr).not.toContain(String((trap.address() as { port: number }).port));
    expect(existsSync(marker)).toBe(false);
  });
});
