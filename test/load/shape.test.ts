// The LoadShape: built once, open or closed, whole-run plans with this process's share. Pure.
import { describe, expect, test } from "bun:test";
import { lengthOf } from "../../src/load/schedule.ts";
import { closedLoad, openLoad, rateOfShare, stagesOfShare, warmupOf } from "../../src/load/shape.ts";

const share = { index: 1, count: 4 };

describe("open", () => {
  test("a rate is a flat open loop; stages are a plan whose mean is the rate", () => {
    expect(openLoad(250)).toEqual({ kind: "open", rate: 250, share: { index: 0, count: 1 } });
    const staged = openLoad([
      { durationMs: 1000, fromRps: 0, toRps: 100 },
      { durationMs: 1000, fromRps: 100, toRps: 100 },
    ]);
    expect(staged.rate).toBe(75);
    expect(staged.plan && lengthOf(staged.plan)).toBe(2000);
  });

  test("a shard keeps the whole plan; its report target is its share", () => {
    const whole = openLoad([{ durationMs: 2000, fromRps: 400, toRps: 800 }], share);
    expect(whole.rate).toBe(600);
    expect(whole.plan?.stages).toEqual([{ durationMs: 2000, fromRps: 400, toRps: 800 }]);
    expect(rateOfShare(whole)).toBe(150);
    expect(stagesOfShare(whole)).toEqual([{ durationMs: 2000, fromRps: 100, toRps: 200 }]);
    expect(stagesOfShare(openLoad(10))).toBeUndefined();
  });

  test("the warm-up runs flat at the first stage's target rate", () => {
    const staged = openLoad([{ durationMs: 1000, fromRps: 10, toRps: 50 }], share);
    expect(warmupOf(staged, 3000)).toEqual({ kind: "open", rate: 50, share });
    const flat = openLoad(30);
    expect(warmupOf(flat, 3000)).toBe(flat);
  });
});

describe("closed", () => {
  test("without stages every slot sends; with stages, a level plan", () => {
    expect(closedLoad()).toEqual({ kind: "closed", share: { index: 0, count: 1 } });
    const levels = closedLoad([{ durationMs: 500, from: 2, to: 8 }], share);
    expect(levels.plan?.startsAt).toEqual([0, 500]);
    expect(levels.share).toEqual(share);
  });

  test("the warm-up holds the first stage's target level for its whole length", () => {
    const w = warmupOf(closedLoad([{ durationMs: 500, from: 2, to: 8 }], share), 3000);
    expect(w.kind === "closed" && w.plan?.stages).toEqual([{ durationMs: 3000, from: 8, to: 8 }]);
    expect(w.share).toEqual(share);
  });
});
