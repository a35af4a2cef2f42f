// Generated inputs (fast-check), bounded in runs: request decoding on the real server, the pure
// decoders, address parsing, and the server-side frame and ping checks.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { encodeMessage } from "../../src/api/codec.ts";
import { EchoMethod, EchoRequest, EchoResponse } from "../../src/api/echo.ts";
import { MessageDecoder, prefixMessage } from "../../src/rpc/message.ts";
import { Status, statusFromRstCode } from "../../src/rpc/status.ts";
import { echoService } from "../../src/server/echo.ts";
import { FrameFlagCheck } from "../../src/server/grpcjs/frame-guard.ts";
import { DEFAULT_LIMITS, MAX_PING_STRIKES, pingStrike } from "../../src/server/limits.ts";
import { formatAddress, parseAddress } from "../../src/transport/address.ts";
import { channelTo, serveOnLoopback, type TestServer } from "../support/helpers.ts";
import { rawCall, rawSession } from "../support/raw.ts";

describe("request decoding", () => {
  test("EchoRequest.decode on any bytes returns a message or throws an Error, nothing else", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
        try {
          EchoRequest.decode(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(Error);
        }
      }),
      { numRuns: 2_000 },
    );
  });

  test("MessageDecoder: any chunking of any bytes never throws, and chunking does not change the result", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), fc.array(fc.nat(512), { maxLength: 8 }), (bytes, cuts) => {
        const whole: Buffer[] = [];
        const wholeErr = new MessageDecoder(1024).push(Buffer.from(bytes), whole);
        const parts: Buffer[] = [];
        const d = new MessageDecoder(1024);
        let err: unknown;
        let last = 0;
        for (const cut of [...cuts.map((c) => c % (bytes.length + 1))].sort((a, b) => a - b)) {
          err ??= d.push(Buffer.from(bytes.subarray(last, cut)), parts);
          last = cut;
        }
        err ??= d.push(Buffer.from(bytes.subarray(last)), parts);
        expect(err === undefined).toBe(wholeErr === undefined);
        if (!err) expect(parts.map((p) => p.toString("hex"))).toEqual(whole.map((p) => p.toString("hex")));
      }),
      { numRuns: 1_000 },
    );
  });

  test("FrameFlagCheck: chunking does not change the verdict; well-formed frames always pass", () => {
    const frames = fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 5 });
    fc.assert(
      fc.property(frames, fc.nat(400), (msgs, cut) => {
        const bytes = Buffer.concat(msgs.map((m) => prefixMessage(m)));
        expect(new FrameFlagCheck(false).push(bytes)).toBeUndefined();
        const split = new FrameFlagCheck(false);
        const at = cut % (bytes.length + 1);
        expect(split.push(bytes.subarray(0, at)) ?? split.push(bytes.subarray(at))).toBeUndefined();
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 128 }), fc.nat(128), (bytes, cut) => {
        const whole = new FrameFlagCheck(false).push(bytes);
        const split = new FrameFlagCheck(false);
        const at = cut % (bytes.length + 1);
        const verdict = split.push(bytes.subarray(0, at)) ?? split.push(bytes.subarray(at));
        expect(verdict).toBe(whole);
      }),
      { numRuns: 1_000 },
    );
  });

  describe("the real server, fed generated request bodies", () => {
    let srv: TestServer;
    let port: number;
    beforeAll(async () => {
      srv = await serveOnLoopback([echoService()]);
      port = srv.address.kind === "tcp" ? srv.address.port : 0;
    });
    afterAll(() => srv.stop());

    test("every answer is OK or a proper error status, and the server keeps serving", async () => {
      const session = rawSession(port);
      // UNIMPLEMENTED is the spec's answer to a unary call carrying no message or two (cardinality).
      const allowed: number[] = [
        Status.OK,
        Status.INVALID_ARGUMENT,
        Status.INTERNAL,
        Status.RESOURCE_EXHAUSTED,
        Status.UNIMPLEMENTED,
      ];
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), fc.boolean(), async (bytes, framed) => {
          const body = framed ? prefixMessage(bytes) : Buffer.from(bytes);
          const r = await rawCall(session, EchoMethod.path, body);
          const status = r.grpcStatus ?? (r.rstCode ? statusFromRstCode(r.rstCode) : Status.UNKNOWN);
          expect(allowed).toContain(status);
        }),
        { numRuns: 150 },
      );
      session.close();
      const ch = channelTo(srv.address);
      const r = await ch.unary(EchoMethod.path, encodeMessage(EchoRequest, { payload: Buffer.from("ok") }));
      await ch.close();
      expect(r.ok && Buffer.from(EchoResponse.decode(r.value).payload).toString()).toBe("ok");
    });
  });
});

describe("parseAddress", () => {
  const roles = fc.constantFrom("listen" as const, "connect" as const);
  const addressLike = fc.oneof(
    fc.string({ maxLength: 60 }),
    fc.string({ unit: "binary", maxLength: 40 }),
    fc
      .tuple(
        fc.constantFrom("", "unix:", "unix://", "vsock:", "vsock://", "hvsock://", "dns:///", "[", "http://"),
        fc.string({ maxLength: 30 }),
        fc.constantFrom("", ":", "]:", ":0", ":65535", ":65536", ":-1", ":99999999999"),
      )
      .map(([a, b, c]) => a + b + c),
  );

  test("never throws, and always answers ok with an address or an error naming the input", () => {
    fc.assert(
      fc.property(addressLike, roles, (text, role) => {
        const r = parseAddress(text, role);
        if (r.ok) expect(["tcp", "unix", "vsock", "hvsock"]).toContain(r.address.kind);
        else expect(r.error).toContain("bad address");
      }),
      { numRuns: 5_000 },
    );
  });

  test("whatever parses, formats back to text that parses to the same address", () => {
    fc.assert(
      fc.property(addressLike, roles, (text, role) => {
        const r = parseAddress(text, role);
        if (!r.ok) return;
        const again = parseAddress(formatAddress(r.address), role);
        expect(again.ok && again.address).toEqual(r.address);
      }),
      { numRuns: 5_000 },
    );
  });
});

describe("keepalive policy", () => {
  test("strikes only grow, and only for pings sooner than the policy allows", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(10 * 60_000), fc.nat(3)), { maxLength: 20 }),
        fc.boolean(),
        (pings, permit) => {
          const l = { ...DEFAULT_LIMITS, keepalivePermitWithoutCalls: permit };
          let state = { lastPingMs: Number.NEGATIVE_INFINITY, strikes: 0 };
          let now = 0;
          for (const [gap, calls] of pings) {
            now += gap;
            const strikes = pingStrike(state, now, calls, l);
            const idleMin = calls === 0 && !permit ? 2 * 3_600_000 : l.keepaliveMinTimeMs;
            expect(strikes).toBe(now - state.lastPingMs < idleMin ? state.strikes + 1 : state.strikes);
            state = { lastPingMs: now, strikes };
          }
        },
      ),
      { numRuns: 1_000 },
    );
    expect(MAX_PING_STRIKES).toBe(2);
  });
});
