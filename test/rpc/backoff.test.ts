// gRPC's connection backoff (grpc/doc/connection-backoff.md) as the reconnecting channel uses it.
import { expect, test } from "bun:test";
import { Backoff } from "../../src/rpc/backoff.ts";

test("waits grow by 1.6 from the minimum up to the maximum, and a connection resets them", () => {
  const b = new Backoff({ minMs: 10, maxMs: 50 }, () => 0.5); // 0.5: no jitter
  const waits = Array.from({ length: 6 }, () => b.next());
  expect(waits.map((w) => Math.round(w * 100) / 100)).toEqual([10, 16, 25.6, 40.96, 50, 50]);
  b.reset();
  expect(b.next()).toBe(10);
});

test("each wait is jittered by at most ±20%", () => {
  expect(new Backoff({ minMs: 100, maxMs: 100 }, () => 0).next()).toBeCloseTo(80);
  expect(new Backoff({ minMs: 100, maxMs: 100 }, () => 1).next()).toBeCloseTo(120);
});
