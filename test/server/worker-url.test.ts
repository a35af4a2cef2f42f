// One rule finds every Worker script, from source and inside the compiled binary, including from a module
// bundled into a worker entry (a server thread starting its signing pool).
import { describe, expect, test } from "bun:test";
import { workerScriptUrl } from "../../src/worker-url.ts";

describe("workerScriptUrl", () => {
  test("from source: next to the module that starts it", () => {
    expect(workerScriptUrl("file:///repo/src/server/cluster.ts", "server/worker.ts")).toBe(
      "file:///repo/src/server/worker.ts",
    );
  });
  test("compiled, from the main entry (the binary at the root)", () => {
    expect(workerScriptUrl("file:///$bunfs/root/grpcperf", "server/worker.ts")).toBe(
      "file:///$bunfs/root/server/worker.ts",
    );
  });
  test("compiled, from inside another worker entry", () => {
    expect(workerScriptUrl("file:///$bunfs/root/server/worker.ts", "crypto/worker.ts")).toBe(
      "file:///$bunfs/root/crypto/worker.ts",
    );
  });
});
