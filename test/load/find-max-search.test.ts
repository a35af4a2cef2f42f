// The capacity search's choice of steps (pure): growth, bisection, precision, the cap, and noise.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import {
  bracketOf,
  MAX_RETRIES,
  nextStep,
  type SearchSettings,
  type StepOutcome,
} from "../../src/bench/find-max/search.ts";

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

describe("find-max search: a failure where the loader may have been the limit", () => {
  const stalled = (rps: number): StepOutcome => ({ rps, pass: false, loaderLimited: true });

  test("is run again at the same rate before it counts", () => {
    const steps: StepOutcome[] = [{ rps: 100, pass: true }, stalled(200)];
    expect(nextStep(settings, steps)).toEqual({ kind: "step", rps: 200, phase: "retry" });
  });

  test("a retry that passes speaks for the rate: the growth goes on", () => {
    const steps: StepOutcome[] = [{ rps: 100, pass: true }, stalled(200), { rps: 200, pass: true }];
    expect(bracketOf(steps)).toEqual({ pass: 200, fail: undefined });
    expect(nextStep(settings, steps)).toEqual({ kind: "step", rps: 400, phase: "grow" });
  });

  test("a retry that fails counts, loader-limited or not, and is not retried again", () => {
    for (const again of [{ rps: 200, pass: false }, stalled(200)]) {
      const steps: StepOutcome[] = [{ rps: 100, pass: true }, stalled(200), again];
      expect(bracketOf(steps)).toEqual({ pass: 100, fail: 200 });
      expect(nextStep(settings, steps)).toEqual({ kind: "step", rps: 150, phase: "bisect" });
    }
  });

  test("a failure the server caused is never retried", () => {
    const steps: StepOutcome[] = [
      { rps: 100, pass: true },
      { rps: 200, pass: false, loaderLimited: false },
    ];
    expect(nextStep(settings, steps)).toEqual({ kind: "step", rps: 150, phase: "bisect" });
  });

  test(`at most ${MAX_RETRIES} retries in a search`, () => {
    const steps: StepOutcome[] = [{ rps: 100, pass: true }];
    for (const rps of [200, 400]) steps.push(stalled(rps), { rps, pass: true });
    expect(steps.length).toBe(1 + 2 * MAX_RETRIES);
    steps.push(stalled(800));
    expect(nextStep(settings, steps)).toEqual({ kind: "step", rps: 600, phase: "bisect" });
  });

  test("against a loader that stalls once at every rate, the answer is the server's capacity", () => {
    fc.assert(
      fc.property(fc.integer({ min: 400, max: 100_000 }), (capacity) => {
        const tried = new Set<number>();
        const steps: StepOutcome[] = [];
        for (let i = 0; i < 100; i++) {
          const n = nextStep(settings, steps);
          if (n.kind === "done") break;
          // the first step at 2x and 4x the start rate stalls (the loader's machine); the retry does not
          const stalls = !tried.has(n.rps) && (n.rps === 200 || n.rps === 400);
          tried.add(n.rps);
          steps.push(stalls ? stalled(n.rps) : { rps: n.rps, pass: n.rps <= capacity });
        }
        const { pass, fail } = bracketOf(steps);
        expect(pass).toBeLessThanOrEqual(capacity);
        expect(((fail as number) - (pass as number)) / (pass as number)).toBeLessThanOrEqual(settings.precision);
      }),
    );
  });
});
