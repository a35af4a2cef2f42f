// The capacity search's choice of steps (pure): growth, bisection, precision, the cap, and noise.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { nextStep, type SearchSettings, type StepOutcome } from "../../src/bench/find-max/search.ts";

const settings: SearchSettings = { startRps: 100, maxRps: undefined, precision: 0.05, growth: 2 };

/** Runs the search against a server whose capacity is `capacity`: a step passes when its rate is at most that. */
function search(s: SearchSettings, capacity: number, limit = 100) {
  const steps: (StepOutcome & { phase: string })[] = [];
  for (let i = 0; i < limit; i++) {
    const n = nextStep(s, steps);
    if (n.kind === "done") return { steps, reason: n.reason };
    steps.push({ rps: n.rps, pass: n.rps <= capacity, phase: n.phase });
  }
  throw new Error("the search did not end");
}

describe("find-max search", () => {
  test("grows by doubling from the start rate, then bisects", () => {
    const r = search(settings, 1000);
    expect(r.steps.slice(0, 5).map((s) => s.rps)).toEqual([100, 200, 400, 800, 1600]);
    expect(r.steps.slice(0, 5).every((s) => s.phase === "grow")).toBe(true);
    expect(r.steps[5]).toMatchObject({ rps: 1200, phase: "bisect", pass: false });
    expect(r.reason).toBe("converged");
  });

  test("none-passed when the first step fails", () => {
    expect(search(settings, 50)).toEqual({ steps: [{ rps: 100, pass: false, phase: "grow" }], reason: "none-passed" });
  });

  test("never above --max-rate, and says so when the SLO still held there", () => {
    const r = search({ ...settings, maxRps: 500 }, 10_000);
    expect(r.steps.map((s) => s.rps)).toEqual([100, 200, 400, 500]);
    expect(r.reason).toBe("max-rate");
  });

  test("a lucky step above a failure is not the answer", () => {
    const steps: StepOutcome[] = [
      { rps: 100, pass: true },
      { rps: 200, pass: false },
      { rps: 150, pass: true },
      { rps: 300, pass: true },
    ];
    expect(nextStep(settings, steps)).toEqual({ kind: "step", rps: 175, phase: "bisect" });
  });

  test("for any capacity, the answer is within the precision below it, and no step repeats", () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 1_000_000 }), fc.integer({ min: 1, max: 20 }), (capacity, pct) => {
        const precision = pct / 100;
        const r = search({ ...settings, precision }, capacity);
        const passes = r.steps.filter((s) => s.pass).map((s) => s.rps);
        const best = Math.max(...passes);
        expect(best).toBeLessThanOrEqual(capacity);
        const lowestFail = Math.min(...r.steps.filter((s) => !s.pass).map((s) => s.rps));
        expect((lowestFail - best) / best <= precision || lowestFail - best <= 1).toBe(true);
        expect(new Set(r.steps.map((s) => s.rps)).size).toBe(r.steps.length);
      }),
    );
  });
});
