// A load thread: the Worker side of the protocol in messages.ts, around runner.ts.
import type { FromThread, ToThread } from "./messages.ts";
import { type PreparedThread, prepareThread } from "./runner.ts";

declare const self: Worker;

const post = (m: FromThread) => self.postMessage(m);
let prepared: PreparedThread | undefined;

async function handle(m: ToThread): Promise<void> {
  if (m.type === "start") {
    const p = await prepareThread(m.config, {
      onLost: (reason) => post({ type: "lost", reason }),
      onProgress: (snapshot) => post({ type: "progress", snapshot }),
    });
    if (!p.ok) return post({ type: "unreachable", error: p.error });
    prepared = p.thread;
    return post({ type: "ready" });
  }
  if (!prepared) return post({ type: "crashed", error: "go before start" });
  const result = await prepared.run(m.startEpochMs, m.warmupFromEpochMs);
  await prepared.close();
  post({ type: "done", result });
}

self.onmessage = (e: MessageEvent<ToThread>) => {
  handle(e.data).catch((err) => post({ type: "crashed", error: err instanceof Error ? err.message : String(err) }));
};
