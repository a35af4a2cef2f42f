// Real bench runs for the `grpcperf report` tests: `grpcperf serve` on loopback port 0, then short
// `bench --json -o FILE` runs against it with the compiled binary; the files are what `report` reads.
import { join } from "node:path";
import { requireBinary, serveBinary } from "./helpers.ts";

/** Runs `bench -s ADDR … --json -o dir/NAME.json` for each [name, extra flags]; returns the files by name. */
export async function benchRuns(
  dir: string,
  runs: readonly (readonly [string, readonly string[]])[],
): Promise<Record<string, string>> {
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir };
  const server = await serveBinary([], { cwd: dir, env });
  try {
    const addr = server.target;
    const out: Record<string, string> = {};
    for (const [name, flags] of runs) {
      const file = join(dir, `${name}.json`);
      const p = Bun.spawnSync([requireBinary(), "bench", "-s", addr, "-z", "2s", ...flags, "--json", "-o", file], {
        cwd: dir,
        env,
        stdout: "pipe",
        stderr: "pipe",
      });
      if (p.exitCode !== 0) throw new Error(`bench ${name} exited ${p.exitCode}: ${p.stderr.toString()}`);
      out[name] = file;
    }
    return out;
  } finally {
    await server.stop();
  }
}
