// The pacer's timerfd wake-ups (src/bench/load/wake-timer.ts) on the real clock: order and cancellation,
// never how soon (no timed assertion; precision is bench --calibrate's and scripts/bench-pacing.sh's).
import { expect, test } from "bun:test";
import { wakeTimer } from "../../src/bench/load/wake-timer.ts";

test("on Linux with glibc there is a timerfd queue; it wakes each live entry once, in time order, never before its time", async () => {
  const timer = wakeTimer();
  expect(timer).not.toBeNull();
  if (timer === null) return;
  const t0 = performance.now();
  const asked = [3.2, 0.4, 1.7, 0.9, 2.5].map((d) => t0 + d);
  const woke: { at: number; when: number }[] = [];
  const cancelled = timer.at(t0 + 1.2, () => woke.push({ at: -1, when: performance.now() }));
  const all = asked.map(
    (at) =>
      new Promise<void>((resolve) =>
        timer.at(at, () => {
          woke.push({ at, when: performance.now() });
          resolve();
        }),
      ),
  );
  timer.cancel(cancelled);
  await Promise.all(all);
  expect(woke.map((w) => w.at)).toEqual([...asked].sort((a, b) => a - b));
  // 5 µs: an entry that close to its time is woken with the one the timer fired for
  for (const w of woke) expect(w.when).toBeGreaterThanOrEqual(w.at - 0.005);
});

test("an entry added from a wake-up, earlier than what is armed, is woken too", async () => {
  const timer = wakeTimer();
  if (timer === null) throw new Error("no timerfd queue");
  const order: string[] = [];
  await new Promise<void>((resolve) => {
    const t0 = performance.now();
    timer.at(t0 + 200, () => {
      order.push("late");
      resolve();
    });
    timer.at(t0 + 0.5, () => {
      order.push("first");
      timer.at(performance.now() + 0.3, () => order.push("added"));
    });
  });
  expect(order).toEqual(["first", "added", "late"]);
});
