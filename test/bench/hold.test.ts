// The pacer's last stretch held on the thread (src/bench/loops/hold.ts) and the look at the event loop it
// relies on (src/bench/loops/loop-watch.ts), on the real clock and real sockets: order, wake-ups never
// before their time, I/O let in while holding, a blocked thread seen as a stall. Never how soon (no timed
// assertion; precision is bench --calibrate's and scripts/bench-pacing.sh's).
import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type HoldEntry, Holder } from "../../src/bench/loops/hold.ts";
import { epollHolding, type LoopWatch, loopWatch } from "../../src/bench/loops/loop-watch.ts";
import { STALL_MS } from "../../src/report/marks.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function watch(): Promise<LoopWatch> {
  const w = await loopWatch();
  if (w === null) throw new Error("no loop watch on this Linux machine");
  return w;
}

/** A TCP echo server and a client to it, both on this thread's event loop. */
async function echoPair() {
  const server = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: { data: (s, d) => void s.write(d) },
  });
  const got: string[] = [];
  const client = await Bun.connect({
    hostname: "127.0.0.1",
    port: server.port,
    socket: { data: (_s, d) => void got.push(d.toString()) },
  });
  return {
    got,
    client,
    close() {
      client.end();
      server.stop(true);
    },
  };
}

function entry(until: number, wake: () => void, log: { stalls: [number, number][] } = { stalls: [] }): HoldEntry {
  return {
    until,
    wake,
    stats: { idleMs: 0 },
    onStall: (from, to) => void log.stalls.push([from, to]),
    live: true,
  };
}

test("the watch finds this thread's epoll fd and says when its loop has I/O to run", async () => {
  const w = await watch();
  const echo = await echoPair();
  await Bun.sleep(5);
  expect(w.ioPending()).toBe(false);
  echo.client.write("ping");
  // the bytes are in the server socket's buffer at once (loopback); nothing has read them yet
  expect(w.ioPending()).toBe(true);
  while (echo.got.length === 0) await Bun.sleep(1);
  expect(echo.got.join("")).toBe("ping");
  await Bun.sleep(5);
  expect(w.ioPending()).toBe(false);
  echo.close();
});

test("epollHolding reads /proc's fdinfo: the one epoll fd whose interest list holds the descriptor", () => {
  const root = mkdtempSync(join(tmpdir(), "grpcperf-fdinfo-"));
  dirs.push(root);
  mkdirSync(join(root, "fd"));
  mkdirSync(join(root, "fdinfo"));
  const fd = (n: number, target: string, info: string) => {
    symlinkSync(target, join(root, "fd", String(n)));
    writeFileSync(join(root, "fdinfo", String(n)), info);
  };
  fd(3, "anon_inode:[eventpoll]", "pos:\t0\nflags:\t02000002\ntfd:        4 events: 80000019 data: 1\n");
  fd(4, "anon_inode:[eventfd]", "pos:\t0\n");
  fd(
    5,
    "anon_inode:[eventpoll]",
    "pos:\t0\ntfd:       14 events:       19 data: 2\ntfd:        9 events: 19 data: 3\n",
  );
  fd(9, "socket:[123]", "pos:\t0\n");
  expect(epollHolding(9, join(root, "fd"))).toBe(5);
  // 4 is listed only as "tfd: 4" in 3, and 14 must not match 4
  expect(epollHolding(4, join(root, "fd"))).toBe(3);
  expect(epollHolding(7, join(root, "fd"))).toBeUndefined();
});

test("held entries wake once each, in time order, never before their time; a cancelled one never", async () => {
  const holder = new Holder(await watch());
  const t0 = performance.now();
  const woke: { until: number; at: number }[] = [];
  const asked = [3.2, 0.15, 1.7, 0.4, 2.5, 0.05].map((d) => t0 + d);
  const cancelled = entry(t0 + 1, () => woke.push({ until: -1, at: performance.now() }));
  holder.add(cancelled);
  const all = Promise.all(
    asked.map(
      (until) =>
        new Promise<void>((resolve) =>
          holder.add(
            entry(until, () => {
              woke.push({ until, at: performance.now() });
              resolve();
            }),
          ),
        ),
    ),
  );
  holder.cancel(cancelled);
  await all;
  await Bun.sleep(2);
  expect(woke.map((w) => w.until)).toEqual([...asked].sort((a, b) => a - b));
  for (const w of woke) expect(w.at).toBeGreaterThanOrEqual(w.until);
});

test("an entry added from a wake-up, earlier than the one held for, is woken first", async () => {
  const holder = new Holder(await watch());
  const order: string[] = [];
  await new Promise<void>((resolve) => {
    const t0 = performance.now();
    holder.add(
      entry(t0 + 3, () => {
        order.push("late");
        resolve();
      }),
    );
    holder.add(
      entry(t0 + 0.2, () => {
        order.push("first");
        holder.add(entry(performance.now() + 0.2, () => order.push("added")));
      }),
    );
  });
  expect(order).toEqual(["first", "added", "late"]);
});

test.each([
  ["sleeping, then spinning the last 0.15 ms", undefined],
  ["spinning all the way (a core of its own)", 5],
])(
  "while it holds (%s), the thread still reads: an echo sent during the hold is answered before the wake-up",
  async (_, spinMs) => {
    const holder = new Holder(await watch(), spinMs);
    const echo = await echoPair();
    const order: string[] = [];
    await new Promise<void>((resolve) => {
      // long enough that the echo's round trip on loopback ends well inside it, whatever the machine
      holder.add(
        entry(performance.now() + 300, () => {
          order.push(`woke with ${echo.got.join("")}`);
          resolve();
        }),
      );
      echo.client.write("during");
    });
    expect(order).toEqual(["woke with during"]);
    echo.close();
  },
);

test("a thread that blocks itself while an entry is held is reported as a stall, from the hold's last look", async () => {
  const holder = new Holder(await watch());
  const log = { stalls: [] as [number, number][] };
  const blockMs = 4 * STALL_MS;
  await new Promise<void>((resolve) => {
    holder.add(entry(performance.now() + 20, resolve, log));
    // a callback that holds the thread (as a GC pause or a long handler would), between two of the hold's turns
    setImmediate(() => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, blockMs));
  });
  expect(log.stalls.length).toBeGreaterThanOrEqual(1);
  const longest = Math.max(...log.stalls.map(([from, to]) => to - from));
  expect(longest).toBeGreaterThanOrEqual(blockMs);
});

test("one entry, cancelled and added again (as a pacer reuses its own), wakes once, at its new time only", async () => {
  const holder = new Holder(await watch());
  const woke: { until: number; at: number }[] = [];
  let resolve = () => {};
  const done = new Promise<void>((r) => {
    resolve = r;
  });
  const e = entry(0, () => {
    woke.push({ until: e.until, at: performance.now() });
    // woken, it is taken again for the next time, as the pacer's next call does
    if (woke.length < 3) {
      e.until = performance.now() + 0.3;
      e.live = true;
      holder.add(e);
    } else resolve();
  });
  const t0 = performance.now();
  e.until = t0 + 2;
  holder.add(e);
  holder.cancel(e);
  e.until = t0 + 0.5;
  e.live = true;
  holder.add(e);
  await done;
  await Bun.sleep(3); // the cancelled time (t0 + 2) has passed: no wake-up came for it
  expect(woke.length).toBe(3);
  expect(woke[0]?.until).toBe(t0 + 0.5);
  for (const w of woke) expect(w.at).toBeGreaterThanOrEqual(w.until);
});

test("an entry due in the same batch, cancelled and added again later by an earlier wake-up, wakes once, at its new time", async () => {
  const holder = new Holder(await watch());
  const woke: { who: string; until: number; at: number }[] = [];
  let resolve = () => {};
  const done = new Promise<void>((r) => {
    resolve = r;
  });
  const b = entry(0, () => {
    woke.push({ who: "b", until: b.until, at: performance.now() });
    if (b.until > t0 + 1) resolve();
  });
  const a = entry(0, () => {
    woke.push({ who: "a", until: a.until, at: performance.now() });
    // b's pacer moves it on (cancel, then the same entry at a later time), as Pacer.at() does
    holder.cancel(b);
    b.until = performance.now() + 2;
    b.live = true;
    holder.add(b);
  });
  const t0 = performance.now();
  a.until = t0 + 0.3;
  b.until = t0 + 0.3;
  holder.add(a);
  holder.add(b);
  await done;
  await Bun.sleep(3);
  expect(woke.map((w) => w.who)).toEqual(["a", "b"]);
  expect(woke[1]?.until).toBeGreaterThan(t0 + 1);
  for (const w of woke) expect(w.at).toBeGreaterThanOrEqual(w.until);
});
