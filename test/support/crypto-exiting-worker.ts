// The real signing worker, except that a job for key "exit" ends the worker's thread mid-job: lets the pool
// test see what happens when a worker dies with jobs in flight.
import "../../src/crypto/worker.ts";
import type { ToWorker } from "../../src/crypto/protocol.ts";

declare const self: Worker;

const real = self.onmessage;
self.onmessage = (event: MessageEvent<ToWorker>) => {
  if (event.data.type === "job" && event.data.job.keyId === "exit") process.exit(3);
  real?.call(self, event);
};
