import { defineCommand } from "citty";
import { getPublicKey, type Measured, sign } from "../../client/crypto.ts";
import { echoOnce } from "../../client/echo.ts";
import { Algorithm, algorithmName } from "../../crypto/algorithms.ts";
import { withHelp } from "../help.ts";
import { out } from "../output.ts";
import { callArgs, callHelp, connectFromArgs, failureLine } from "./common.ts";

/** What the replaced client ran: four greetings, then the crypto calls its users relied on. */
const ECHO_COUNT = 4;
const SIGNED_MESSAGE = Buffer.from("grpcperf smoke test");

interface Step {
  readonly name: string;
  readonly ok: boolean;
  readonly rttMicros: number;
  readonly detail: string;
}

function fromMeasured<T>(name: string, m: Measured<T>, describe: (v: T) => string): Step {
  return m.result.ok
    ? { name, ok: true, rttMicros: m.rttMicros, detail: describe(m.result.value) }
    : { name, ok: false, rttMicros: m.rttMicros, detail: failureLine(m.result.error.code, m.result.error.details) };
}

const smokeCommand = defineCommand({
  meta: {
    name: "smoke",
    description: "4 echoes, an RSA PKCS#1 and an ECDSA P-256 signature, the RSA public key; each with its latency",
  },
  args: { ...callArgs },
  async run({ args }) {
    const { channel, timeoutMs } = await connectFromArgs(args);
    const steps: Step[] = [];
    const report = (s: Step) => {
      steps.push(s);
      const us = Math.round(s.rttMicros);
      out(
        args.json
          ? `${JSON.stringify({ step: s.name, ok: s.ok, rtt_us: us, detail: s.detail })}\n`
          : `${s.name.padEnd(16)} ${s.ok ? "ok    " : "FAILED"} ${String(us).padStart(7)} µs  ${s.detail}\n`,
      );
    };
    try {
      for (let i = 1; i <= ECHO_COUNT; i++) {
        const o = await echoOnce(
          channel,
          Buffer.from(`Hello from grpcperf, message ${i} of ${ECHO_COUNT}`),
          i,
          timeoutMs,
        );
        const good = o.result.ok && o.result.payloadMatches && o.result.sequenceMatches;
        report({
          name: `echo #${i}`,
          ok: good,
          rttMicros: o.rttMicros,
          detail: o.result.ok
            ? `${o.sentBytes} bytes${good ? "" : " MISMATCH"}`
            : failureLine(o.result.error.code, o.result.error.details),
        });
      }
      for (const algorithm of [Algorithm.RSA_PKCS1_SHA256, Algorithm.ECDSA_P256_SHA256]) {
        const m = await sign(channel, { algorithm, message: SIGNED_MESSAGE }, timeoutMs);
        report(
          fromMeasured(`sign ${algorithm === Algorithm.RSA_PKCS1_SHA256 ? "rsa-pkcs1" : "ecdsa-p256"}`, m, (r) => {
            return `${algorithmName(r.algorithm)} key=${r.keyId}, ${r.signature.length} bytes`;
          }),
        );
      }
      const pk = await getPublicKey(channel, { algorithm: Algorithm.RSA_PKCS1_SHA256 }, timeoutMs);
      report(fromMeasured("pubkey rsa", pk, (r) => `key=${r.keyId}, SPKI ${r.spkiDer.length} bytes DER`));
    } finally {
      await channel.close();
    }
    if (steps.some((s) => !s.ok)) process.exitCode = 1;
  },
});

export default withHelp(smokeCommand, callHelp("every step passed", "a step failed"));
