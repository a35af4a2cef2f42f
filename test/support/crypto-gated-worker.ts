// The real signing worker, except that a sign job whose message is "hold:PATH" waits until the file PATH
// exists before it is signed: lets a test keep the only worker busy for exactly as long as it needs
// (jobs queued behind it, a deadline passing, a call cancelled) without depending on how fast anything is.
import { existsSync } from "node:fs";
import "../../src/crypto/worker.ts";
import type { ToWorker } from "../../src/crypto/protocol.ts";

declare const self: Worker;

const nap = new Int32Array(new SharedArrayBuffer(4));
const real = self.onmessage;
self.onmessage = (event: MessageEvent<ToWorker>) => {
  const msg = event.data;
  if (msg.type === "job" && "message" in msg.job.input) {
    const text = Buffer.from(msg.job.input.message).toString();
    if (text.startsWith("hold:")) {
      const path = text.slice("hold:".length);
      while (!existsSync(path)) Atomics.wait(nap, 0, 0, 5);
    }
  }
  real?.call(self, event);
};
