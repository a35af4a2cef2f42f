// bench over TLS and mTLS, with load threads (so the TLS settings cross postMessage), against a real
// TLS server; and the binary's bench flags.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { tmpdir } from "node:os";
import { startRun } from "../../src/bench/coordinator.ts";
import type { BenchOptions } from "../../src/bench/options.ts";
import { benchOptions, type Counter, countingEcho, newCounter } from "../support/bench-helpers.ts";
import { requireBinary, serveOnLoopback, type TestServer } from "../support/helpers.ts";
import { makePki, type Pki } from "../support/pki.ts";

let pki: Pki;
let counter: Counter;
let srv: TestServer;
beforeAll(async () => {
  pki = makePki();
  counter = newCounter();
  srv = await serveOnLoopback([countingEcho(counter)], {
    tls: { certPem: pki.pem("server.crt"), keyPem: pki.pem("server.key"), clientCaPem: pki.pem("ca.crt") },
  });
});
afterAll(async () => {
  await srv.stop();
  pki.remove();
});

async function run(options: BenchOptions) {
  return startRun(options).outcome;
}

describe("bench over mTLS", () => {
  test("exactly N calls over TLS connections from two threads, with a client certificate", async () => {
    counter.calls = 0;
    const options: BenchOptions = {
      ...benchOptions({ server: srv.target, requests: "600", connections: "4", threads: "2" }),
      tls: {
        serverName: "localhost",
        caPem: pki.pem("ca.crt"),
        certPem: pki.pem("client.crt"),
        keyPem: pki.pem("client.key"),
      },
    };
    const outcome = await run(options);
    expect(outcome.kind).toBe("finished");
    expect(counter.calls).toBe(600);
  });

  test("without a client certificate no call reaches the service", async () => {
    counter.calls = 0;
    const options: BenchOptions = {
      ...benchOptions({ server: srv.target, requests: "10", connections: "1", threads: "1" }),
      tls: { serverName: "localhost", caPem: pki.pem("ca.crt") },
    };
    // TLS 1.3 finishes the client's side of the handshake before the server checks the certificate, so
    // the refusal may come as failed calls rather than a failed connect; either way nothing gets through.
    const outcome = await run(options);
    if (outcome.kind === "finished") {
      expect(outcome.threads.reduce((n, t) => n + t.services.reduce((m, s) => m + s.ok, 0), 0)).toBe(0);
    }
    expect(counter.calls).toBe(0);
  });

  test("the binary: --cacert/--cert/--cert-key/--server-name, JSON says tls", async () => {
    // async spawn: the server under test runs on this process's event loop
    const p = Bun.spawn(
      [
        requireBinary(),
        "bench",
        "--server",
        srv.target,
        "--requests",
        "200",
        "--connections",
        "2",
        "--threads",
        "1",
        "--json",
        "--cacert",
        pki.file("ca.crt"),
        "--cert",
        pki.file("client.crt"),
        "--cert-key",
        pki.file("client.key"),
        "--server-name",
        "localhost",
      ],
      { cwd: tmpdir(), stdout: "pipe", stderr: "pipe" },
    );
    const [code, stdout] = await Promise.all([p.exited, new Response(p.stdout).text()]);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.options.tls).toBe(true);
    expect(report.total.ok).toBe(200);
  });
});
