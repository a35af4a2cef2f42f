// The queue's pure parts: FIFO order within a bound, sweeping out the dead, and why a job is dropped.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { BoundedQueue, whyDrop } from "../../src/crypto/queue.ts";

describe("BoundedQueue", () => {
  test("refuses beyond its capacity and hands items back oldest first", () => {
    const q = new BoundedQueue<number>(2);
    expect([q.push(1), q.push(2), q.push(3)]).toEqual([true, true, false]);
    expect(q.shift()).toBe(1);
    expect(q.push(4)).toBe(true);
    expect([q.shift(), q.shift(), q.shift()]).toEqual([2, 4, undefined]);
    expect(new BoundedQueue<number>(0).push(1)).toBe(false);
  });

  test("sweep takes out what it is told, keeps the rest in order, and frees their places", () => {
    const q = new BoundedQueue<number>(5);
    for (const n of [1, 2, 3, 4, 5]) q.push(n);
    q.shift();
    expect(q.sweep((n) => n % 2 === 0)).toEqual([2, 4]);
    expect(q.length).toBe(2);
    expect(q.drain()).toEqual([3, 5]);
    expect(q.length).toBe(0);
  });

  test("keeps order across the compaction of a long-drained head", () => {
    const q = new BoundedQueue<number>(2500);
    for (let i = 0; i < 2000; i++) q.push(i);
    for (let i = 0; i < 1500; i++) expect(q.shift()).toBe(i);
    for (let i = 2000; i < 4000; i++) q.push(i);
    expect(q.length).toBe(2500);
    expect(q.push(-1)).toBe(false);
    const rest: number[] = [];
    for (let n = q.shift(); n !== undefined; n = q.shift()) rest.push(n);
    expect(rest).toEqual(Array.from({ length: 2500 }, (_, i) => 1500 + i));
  });

  test("behaves as a bounded array FIFO under any sequence of pushes and shifts", () => {
    fc.assert(
      // long runs, so the head passes the point where the array is compacted
      fc.property(fc.nat(3000), fc.array(fc.boolean(), { maxLength: 5000, size: "max" }), (capacity, ops) => {
        const q = new BoundedQueue<number>(capacity);
        const model: number[] = [];
        ops.forEach((push, i) => {
          if (push) {
            const room = model.length < capacity;
            if (room) model.push(i);
            if (q.push(i) !== room) throw new Error(`push ${i}: expected ${room}`);
          } else if (q.shift() !== model.shift()) throw new Error(`shift after op ${i}: order differs`);
          if (q.length !== model.length) throw new Error(`length after op ${i}`);
        });
      }),
      { numRuns: 30 },
    );
  });
});

describe("whyDrop", () => {
  const caller = (deadline: number, cancelled: boolean) => ({ deadline, cancelled: () => cancelled });
  test.each([
    ["no caller", undefined, undefined],
    ["live, no deadline", undefined, caller(Number.POSITIVE_INFINITY, false)],
    ["live, deadline ahead", undefined, caller(1001, false)],
    ["deadline reached", "deadline", caller(1000, false)],
    // a passed deadline also cancels the call: the deadline is the reason
    ["deadline passed and cancelled", "deadline", caller(999, true)],
    ["cancelled", "cancelled", caller(Number.POSITIVE_INFINITY, true)],
  ] as const)("%s → %p", (_name, why, c) => {
    expect(whyDrop(c, 1000)).toBe(why);
  });
});
