// The two forms of the wall clock agree: a Long stamp lies between two BigInt stamps around it.
import { describe, expect, test } from "bun:test";
import { unixNanos, unixNanosLong } from "../../src/clock.ts";

describe("clock", () => {
  test("unixNanosLong() reads the same clock as unixNanos()", () => {
    for (let i = 0; i < 1000; i++) {
      const before = unixNanos();
      const stamp = unixNanosLong().toBigInt();
      const after = unixNanos();
      expect(stamp >= before && stamp <= after).toBe(true);
    }
  });

  test("it is Unix time: within a second of Date.now()", () => {
    const ms = Number(unixNanosLong().toBigInt() / 1_000_000n);
    expect(Math.abs(ms - Date.now())).toBeLessThan(1000);
  });
});
