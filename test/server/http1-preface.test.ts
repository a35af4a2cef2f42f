// Which HTTP a connection speaks, from its first bytes (src/server/http1/preface.ts), and the debug line the
// compiled server writes when they are neither.
import { expect, test } from "bun:test";
import net from "node:net";
import { PREFACE } from "../../src/h2/frame.ts";
import { choosePreface, describeFirstBytes } from "../../src/server/http1/preface.ts";
import { requireBinary, waitForLine } from "../support/helpers.ts";

test("the preface's first four bytes decide HTTP/2; fewer wait; a method decides HTTP/1.1", () => {
  const cases: [string | Buffer, ReturnType<typeof choosePreface>][] = [
    [PREFACE, "h2"],
    ["PRI ", "h2"],
    ["PR", "more"],
    ["", "more"],
    ["POST /x HTTP/1.1\r\n", "http1"],
    ["PUT", "http1"],
    ["PRIX / HTTP/1.1", "http1"],
    ["GET", "http1"],
    ["\r\nGET / HTTP/1.1", "http1"],
    [Buffer.from([0x16, 0x03, 0x01]), "neither"],
    [Buffer.from([0x00, 0x00, 0x12]), "neither"],
  ];
  for (const [bytes, want] of cases) {
    const b = typeof bytes === "string" ? Buffer.from(bytes, "latin1") : bytes;
    expect({ bytes: b.toString("latin1"), got: choosePreface(b) }).toEqual({ bytes: b.toString("latin1"), got: want });
  }
});

test("ALPN, when TLS agreed one, decides whatever the bytes", () => {
  expect(choosePreface(Buffer.from("GET / HTTP/1.1"), "h2")).toBe("h2");
  expect(choosePreface(PREFACE, "http/1.1")).toBe("http1");
  expect(choosePreface(PREFACE, false)).toBe("h2");
});

test("the first bytes as a debug line shows them, with a guess for a TLS ClientHello", () => {
  expect(describeFirstBytes(Buffer.from([0x16, 0x03, 0x01, 0x41]))).toBe(
    '"\\x16\\x03\\x01A" (a TLS ClientHello: the client uses TLS, this listener does not)',
  );
  expect(describeFirstBytes(Buffer.alloc(20, 0x7a))).toBe(`"${"z".repeat(16)}"…`);
});

test("the compiled serve closes a connection that speaks neither, with a debug line naming what it sent", async () => {
  const proc = Bun.spawn(
    [requireBinary(), "serve", "--addr", "127.0.0.1:0", "--workers", "1", "--log-level", "debug"],
    {
      stdout: "ignore",
      stderr: "pipe",
    },
  );
  try {
    const port = Number((await waitForLine(proc.stderr, /serving .* on 127\.0\.0\.1:(\d+)/))[1]);
    const s = net.connect({ host: "127.0.0.1", port });
    s.on("error", () => {});
    s.once("connect", () => s.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05])));
    const closed = new Promise<void>((resolve) => s.once("close", () => resolve()));
    s.resume();
    const line = (await waitForLine(proc.stderr, /neither HTTP\/2 nor HTTP\/1\.1.*/))[0];
    expect(line).toContain("TLS ClientHello");
    await closed;
  } finally {
    proc.kill("SIGKILL");
    await proc.exited;
  }
});
