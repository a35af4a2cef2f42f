// A concurrency schedule split over shards: shard I of N runs the whole run's slot ranks ≡ I (mod N), so at
// level L the shards hold ⌊L/N⌋ calls in flight each and the lowest L mod N one more: together exactly L.
// Each shard runs in this process against a server that records the most calls it ever held at once.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { EchoMethod } from "../../src/api/echo.ts";
import { echo } from "../../src/server/echo.ts";
import { type ServiceDef, unary } from "../../src/server/handler.ts";
import { benchOptions, reportOf } from "../support/bench-helpers.ts";
import { serveOnLoopback, type TestServer } from "../support/helpers.ts";

interface Peak {
  now: number;
  peak: number;
  /** Calls come in so far; the peak counts the first FIRST_STAGE_CALLS only. */
  calls: number;
}

/**
 * The first stage by count, not by the server's clock (which is not the loader's): at 1 to 3 calls in flight
 * of 30 ms each, a shard's first 12 calls come within 360 ms of its start, well inside the 1 s first stage,
 * and they hold every slot the stage has (each slot's first call is among them).
 */
const FIRST_STAGE_CALLS = 12;

/** Echo that answers after 30 ms and keeps the peak of calls in flight during the first stage. */
function peakEcho(state: Peak): ServiceDef {
  return {
    name: "grpcperf.v1.Echo",
    methods: [
      unary(EchoMethod, async (req, ctx) => {
        state.now++;
        if (++state.calls <= FIRST_STAGE_CALLS) state.peak = Math.max(state.peak, state.now);
        await Bun.sleep(30);
        state.now--;
        return { ok: true, value: echo(req, ctx.recvNanos) };
      }),
    ],
  };
}

describe("--concurrency-stages over shards", () => {
  const state: Peak = { now: 0, peak: 0, calls: 0 };
  let srv: TestServer;
  beforeAll(async () => {
    srv = await serveOnLoopback([peakEcho(state)]);
  });
  afterAll(() => srv.stop());

  // a first stage below the peak, where each shard has more slots than its share: level 5 over 3 shards is
  // 2, 2, 1; level 3 over 2 shards is 2, 1 (each shard has the slots for its share of the peak, 9 or 6)
  test.each([
    ["1s:5-5,1s:9-9", 3, [2, 2, 1]],
    ["1s:3-3,1s:6-6", 2, [2, 1]],
  ] as const)(
    "%s over %d shards holds %p calls in flight in the first stage",
    async (stages, count, expected) => {
      const peaks: number[] = [];
      for (let i = 0; i < count; i++) {
        state.peak = 0;
        state.calls = 0;
        const options = benchOptions({
          server: srv.target,
          "concurrency-stages": stages,
          connections: String(count * 2 >= 5 ? count : 2),
          shard: `${i}/${count}`,
          threads: "1",
        });
        const { report } = await reportOf(options);
        expect(report.total.failed).toBe(0);
        peaks.push(state.peak);
      }
      expect(peaks).toEqual([...expected]);
      expect(peaks.reduce((a, b) => a + b, 0)).toBe(Number(stages.split(/[-,]/)[1]));
    },
    30_000,
  );
});
