// A load thread: the Worker side of the protocol in messages.ts, around runner.ts.
import { pinThisThread } from "./affinity.ts";
import type { FromThread, ToThread } from "./messages.ts";
import { type PreparedThread, prepareThread } from "./runner.ts";

declare const self: Worker;

const post = (m: FromThread) => self.postMessage(m);
let prepared: PreparedThread | undefined;
/** --pin-cpus: the CPUs the thread may use once pinned, read back for the report. */
let cpus: number[] | undefined;

async function handle(m: ToThread): Promise<void> {
  if (m.type === "start") {
    let tid: number | undefined;
    if (m.config.pinCpu !== undefined) {
      const pinned = pinThisThread([m.config.pinCpu]);
      if (!pinned.ok) return post({ type: "crashed", error: pinned.error });
      tid = pinned.tid;
      cpus = pinned.cpus;
    }
    const p = await prepareThread(m.config, {
      onLost: (reason) => post({ type: "lost", reason }),
      onProgress: (snapshot) => post({ type: "progress", snapshot }),
    });
    if (!p.ok) return post({ type: "unreachable", error: p.error });
    prepared = p.thread;
    return post(tid === undefined ? { type: "ready" } : { type: "ready", tid });
  }
  if (!prepared) return post({ type: "crashed", error: "go before start" });
  const result = await prepared.run(m.startEpochMs, m.warmupFromEpochMs);
  await prepared.close();
  post({ type: "done", result: cpus === undefined ? result : { ...result, cpus } });
}

self.onmessage = (e: MessageEvent<ToThread>) => {
  handle(e.data).catch((err) => post({ type: "crashed", error: err instanceof Error ? err.message : String(err) }));
};
