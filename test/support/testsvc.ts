// Test plumbing: testsvc.v1.Tester served by code grpcperf did not write, on grpc-js (in this process) or on
// gRPC's C core (python3-grpcio, a child process), over TCP on 127.0.0.1 or a unix socket. What the servers
// do is the contract in test/support/fixtures/testsvc/README.md.
import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { Address } from "../../src/transport/address.ts";
import { type ReflectionVersions, startGrpcJsTester } from "./fixtures/testsvc/server-grpcjs.ts";
import { FIXTURES } from "./schema-helpers.ts";

export type { ReflectionVersions } from "./fixtures/testsvc/server-grpcjs.ts";

export type TesterKind = "grpc-js" | "python";
export const TESTER_KINDS: readonly TesterKind[] = ["grpc-js", "python"];

export const TESTER_SERVICE = "testsvc.v1.Tester";

export interface TesterOptions {
  /** Serve on this unix socket path (absolute) instead of TCP 127.0.0.1 on a free port. */
  readonly unixPath?: string;
  /** grpc-js only (Debian packages no grpc_reflection for Python, so that server has none); default "both". */
  readonly reflection?: ReflectionVersions;
}

export interface Tester {
  /** A grpc-js style target: "127.0.0.1:PORT" or "unix:///abs/path.sock". */
  readonly target: string;
  readonly address: Address;
  stop(): Promise<void>;
}

const PYTHON = "/usr/bin/python3";
const SERVER_PY = join(FIXTURES, "testsvc", "server.py");

/** Whether the C-core server can run: the same rule as test/e2e/interop-ccore.test.ts, plus python3-protobuf. */
export const PYTHON_GRPC = spawnSync(PYTHON, ["-c", "import grpc, google.protobuf"], { stdio: "ignore" }).status === 0;

export async function startTester(kind: TesterKind, opts: TesterOptions = {}): Promise<Tester> {
  const address: Address = opts.unixPath
    ? { kind: "unix", path: opts.unixPath }
    : { kind: "tcp", host: "127.0.0.1", port: 0 };
  if (kind === "grpc-js") {
    const bind = opts.unixPath ? `unix://${opts.unixPath}` : "127.0.0.1:0";
    const s = await startGrpcJsTester({ address: bind, reflection: opts.reflection ?? "both" });
    return { target: s.target, address: withPort(address, s.port), stop: s.stop };
  }
  if (opts.reflection !== undefined && opts.reflection !== "none") {
    throw new Error("the python3-grpcio Tester has no reflection: Debian packages no grpc_reflection");
  }
  return startPython(address);
}

function withPort(address: Address, port: number): Address {
  return address.kind === "tcp" ? { ...address, port } : address;
}

async function startPython(address: Address): Promise<Tester> {
  if (!PYTHON_GRPC) throw new Error("python3-grpcio or python3-protobuf is not installed");
  const arg = address.kind === "unix" ? `unix:${address.path}` : "127.0.0.1:0";
  const child = spawn(PYTHON, [SERVER_PY, arg], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const where = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once("line", (line) => {
      const m = /^LISTENING (\S+)$/.exec(line);
      if (m) resolve(m[1] as string);
      else reject(new Error(`server.py said "${line}"`));
    });
    exited.then(() => reject(new Error(`server.py exited before listening: ${stderr}`)));
  });
  const bound = address.kind === "tcp" ? withPort(address, Number(where)) : address;
  return {
    target: bound.kind === "tcp" ? `127.0.0.1:${bound.port}` : `unix://${where}`,
    address: bound,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
