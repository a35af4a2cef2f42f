// Test plumbing: servers on real loopback sockets (port 0), and the compiled binary as a subprocess.
import { expect } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { openChannel } from "../../src/client/channel.ts";
import type { ClientKind } from "../../src/rpc/channel.ts";
import type { ServiceDef } from "../../src/server/handler.ts";
import { type RunningServer, type ServerOptions, startServer } from "../../src/server/server.ts";
import type { Address } from "../../src/transport/address.ts";

export const ROOT = join(import.meta.dir, "../..");
export const BINARY = join(ROOT, "dist", "grpcperf");

export interface TestServer {
  readonly server: RunningServer;
  readonly address: Address;
  readonly target: string;
  stop(): Promise<void>;
}

export async function serveOnLoopback(
  services: ServiceDef[],
  opts: Omit<ServerOptions, "addresses" | "services"> = {},
): Promise<TestServer> {
  const server = await startServer({ addresses: [{ kind: "tcp", host: "127.0.0.1", port: 0 }], services, ...opts });
  const address = server.listeners[0]?.address as Address;
  const target = address.kind === "tcp" ? `127.0.0.1:${address.port}` : "";
  return { server, address, target, stop: async () => void (await server.shutdown(1000)) };
}

/** The three ways a server serves calls, for tests that must hold for each. */
export const ENGINES = [
  ["lean engine", { engine: "lean" }],
  ["grpc-js fast path", { engine: "grpc-js", fastPath: true }],
  ["grpc-js only", { engine: "grpc-js", fastPath: false }],
] as const satisfies ReadonlyArray<readonly [string, Pick<ServerOptions, "engine" | "fastPath">]>;

/** Both HTTP/2 client implementations, for tests that must hold for either. */
export const CLIENTS: readonly ClientKind[] = ["http2", "lean"];

export function channelTo(address: Address, opts: Parameters<typeof openChannel>[1] = {}) {
  return openChannel(address, opts);
}

export function requireBinary(): string {
  if (!existsSync(BINARY)) throw new Error(`${BINARY} is missing: run npm run build first`);
  return BINARY;
}

export interface BinaryRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the compiled binary to its end, in `cwd` with only `env` (plus `extraEnv`) as its environment. */
export function binaryRunner(cwd: string, env: Record<string, string>) {
  return (args: readonly string[], extraEnv: Record<string, string> = {}): BinaryRun => {
    const p = Bun.spawnSync([requireBinary(), ...args], {
      cwd,
      env: { ...env, ...extraEnv },
      stdout: "pipe",
      stderr: "pipe",
    });
    return { code: p.exitCode, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
  };
}

/** A usage error: exit 2, exactly one line on stderr containing `line`, nothing on stdout. */
export function expectRefused(run: ReturnType<typeof binaryRunner>, args: readonly string[], line: string): void {
  const r = run(args);
  expect({ args, code: r.code }).toEqual({ args, code: 2 });
  expect(r.stderr.trim().split("\n")).toHaveLength(1);
  expect(r.stderr).toContain(line);
  expect(r.stdout).toBe("");
}

/** Reads a child's stderr until a line matches, and returns the match (the child keeps running). */
export async function waitForLine(
  stream: ReadableStream<Uint8Array>,
  pattern: RegExp,
  seen: string[] = [],
): Promise<RegExpExecArray> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`stream ended before ${pattern}; saw:\n${seen.join("\n")}`);
      buffer += decoder.decode(value, { stream: true });
      let nl = buffer.indexOf("\n");
      while (nl >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        seen.push(line);
        const m = pattern.exec(line);
        if (m) return m;
        nl = buffer.indexOf("\n");
      }
    }
  } finally {
    reader.releaseLock();
  }
}

export interface ServedBinary {
  /** host:port the server said it serves on. */
  readonly target: string;
  stop(): Promise<void>;
}

/** The compiled `grpcperf serve --addr 127.0.0.1:0 --workers 1 …extra` as a child process, once it says
 * where it serves (its `serving … on ADDR` line). */
export async function serveBinary(
  extra: readonly string[] = [],
  opts: { cwd?: string; env?: Record<string, string> } = {},
): Promise<ServedBinary> {
  const proc = Bun.spawn([requireBinary(), "serve", "--addr", "127.0.0.1:0", "--workers", "1", ...extra], {
    cwd: opts.cwd,
    env: opts.env,
    stdout: "ignore",
    stderr: "pipe",
  });
  const target = (await waitForLine(proc.stderr, /serving .* on (\S+)/))[1] as string;
  return {
    target,
    async stop() {
      if (proc.exitCode === null) proc.kill("SIGKILL");
      await proc.exited;
    },
  };
}

/** Runs the compiled binary to its end without blocking this process's event loop, so a server running in
 * this process keeps answering meanwhile. */
export async function runBinaryAsync(
  args: readonly string[],
  opts: { cwd?: string; env?: Record<string, string>; stdin?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const p = Bun.spawn([requireBinary(), ...args], {
    cwd: opts.cwd,
    env: opts.env,
    stdin: opts.stdin === undefined ? "ignore" : new Blob([opts.stdin]),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  return { code, stdout, stderr };
}
