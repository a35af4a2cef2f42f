// The compiled binary, run from an empty directory, answers reflection and health: everything it needs
// is embedded (no .proto file is read at run time).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import type { Subprocess } from "bun";
import { ROOT, requireBinary, waitForLine } from "../support/helpers.ts";

const cwd = mkdtempSync(join(tmpdir(), "grpcperf-refl-"));
const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: cwd };
let server: Subprocess<"ignore", "pipe", "pipe">;
let target: string;

beforeAll(async () => {
  server = Bun.spawn([requireBinary(), "serve", "--addr", "127.0.0.1:0"], { cwd, env, stdout: "pipe", stderr: "pipe" });
  target = (await waitForLine(server.stderr, /serving .* on (\S+)/))[1] as string;
});
afterAll(async () => {
  server.kill("SIGTERM");
  await server.exited;
});

const run = (args: string[]) => {
  const p = Bun.spawnSync([requireBinary(), ...args], { cwd, env, stdout: "pipe", stderr: "pipe" });
  return { code: p.exitCode, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
};

describe("binary: reflection and health", () => {
  test("reflection v1 lists the services (grpc-js client)", async () => {
    const file = join(ROOT, "node_modules/@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto");
    const def = protoLoader.loadSync(file, { longs: String, enums: String, defaults: true, oneofs: true });
    const pkg = grpc.loadPackageDefinition(def) as unknown as {
      grpc: { reflection: { v1: { ServerReflection: grpc.ServiceClientConstructor } } };
    };
    const client = new pkg.grpc.reflection.v1.ServerReflection(target, grpc.credentials.createInsecure());
    const names = await new Promise<string[]>((resolve, reject) => {
      const stream = (
        client as unknown as {
          ServerReflectionInfo(): grpc.ClientDuplexStream<
            object,
            { listServicesResponse: { service: { name: string }[] } }
          >;
        }
      ).ServerReflectionInfo();
      type Listed = { listServicesResponse: { service: { name: string }[] } };
      stream.on("data", (r: Listed) => resolve(r.listServicesResponse.service.map((s) => s.name)));
      stream.on("error", reject);
      stream.write({ listServices: "*" });
      stream.end();
    });
    client.close();
    expect(names.sort()).toEqual([
      "grpc.health.v1.Health",
      "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection",
      "grpcperf.v1.Crypto",
      "grpcperf.v1.Echo",
    ]);
  });

  test("call health: SERVING exits 0 (Crypto included); an unknown service exits 1", () => {
    expect(run(["call", "health", "grpcperf.v1.Crypto", "--server", target]).code).toBe(0);
    const ok = run(["call", "health", "--server", target]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("SERVING");
    const echo = run(["call", "health", "grpcperf.v1.Echo", "--server", target, "--json"]);
    expect(JSON.parse(echo.stdout)).toEqual({ service: "grpcperf.v1.Echo", status: "SERVING" });
    const unknown = run(["call", "health", "no.such.Service", "--server", target]);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toContain("NOT_FOUND");
  });

  test("bad limit flags: one line, exit 2", () => {
    for (const args of [
      ["--max-recv-msg-size", "lots"],
      ["--max-concurrent-streams", "0"],
      ["--keepalive-time", "soon"],
      ["--max-connections", "-3"],
    ]) {
      const r = run(["serve", "--addr", "127.0.0.1:0", ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
    }
  });

  test("serve --help lists the TLS and limit flags", () => {
    const r = run(["serve", "--help"]);
    for (const flag of [
      "--tls-cert",
      "--tls-client-ca",
      "--max-recv-msg-size",
      "--keepalive-min-time",
      "--max-connections",
    ])
      expect(r.stdout).toContain(flag);
  });
});
