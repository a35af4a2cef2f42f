// A signing worker: receives the private key material once, then answers jobs one at a time. Signing
// (RSA especially) takes milliseconds of CPU; here it does not hold up the server's event loop.
import type { FromWorker, ToWorker } from "./protocol.ts";
import { buildSigners, redact, runJobSafely, type Signers } from "./signer.ts";

declare const self: Worker;

let signers: Signers | undefined;

function reply(message: FromWorker): void {
  self.postMessage(message);
}

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const msg = event.data;
  if (msg.type === "init") {
    try {
      signers = buildSigners(msg.keys);
      reply({ type: "ready" });
    } catch (err) {
      reply({ type: "init-failed", error: redact(err instanceof Error ? err.message : String(err)) });
    }
    return;
  }
  const result = signers ? runJobSafely(signers, msg.job) : { ok: false as const, error: "worker not initialised" };
  reply({ type: "result", id: msg.id, result });
};
