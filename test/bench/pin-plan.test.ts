// --pin-cpus' CPU lists and plan (src/bench/pin-plan.ts): pure.
import { expect, test } from "bun:test";
import { cpuListText, parseCpuList, pinPlan } from "../../src/bench/pin-plan.ts";

test("a CPU list reads as taskset(1) writes it: single CPUs, ranges, commas; sorted, without repeats", () => {
  expect(parseCpuList("1")).toEqual({ ok: true, cpus: [1] });
  expect(parseCpuList("2-5")).toEqual({ ok: true, cpus: [2, 3, 4, 5] });
  expect(parseCpuList("6, 0,2-3,2")).toEqual({ ok: true, cpus: [0, 2, 3, 6] });
});

test("a list that is not one says why, and names the flag", () => {
  for (const [text, why] of [
    ["", "names no CPU"],
    ["a", "is not a CPU list"],
    ["1,", "is not a CPU list"],
    ["-1", "is not a CPU list"],
    ["3-1", "has a range that runs backwards"],
    ["1024", "names CPU 1024, above 1023"],
  ] as const) {
    const r = parseCpuList(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(`--pin-cpus: "${text}" ${why}`);
  }
});

test("the runtime gets every CPU the process may use that no load thread has; a CPU it may not use is refused", () => {
  expect(pinPlan([1], [0, 1])).toEqual({ ok: true, plan: { load: [1], runtime: [0] } });
  expect(pinPlan([2, 3], [0, 1, 2, 3, 4])).toEqual({ ok: true, plan: { load: [2, 3], runtime: [0, 1, 4] } });
  expect(pinPlan([1], [1])).toEqual({ ok: true, plan: { load: [1], runtime: [] } });
  const r = pinPlan([1, 7], [0, 1, 2, 5]);
  expect(r).toEqual({ ok: false, error: "--pin-cpus: CPU 7 is not one this process may run on (it may use 0-2,5)" });
});

test("a CPU list is written back short", () => {
  expect(cpuListText([0, 1, 2, 5, 7, 8])).toBe("0-2,5,7-8");
  expect(cpuListText([3])).toBe("3");
  expect(cpuListText([])).toBe("");
});
