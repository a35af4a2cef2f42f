// The Crypto service: validates on the event loop (cheap), signs and verifies on the executor (a worker
// pool), and answers public-key questions from the key ring. Logs per request only at trace level, and
// never anything derived from a private key.
import {
  GetPublicKeyMethod,
  GetPublicKeyResponse,
  KeyInfo,
  ListKeysMethod,
  ListKeysResponse,
  SignMethod,
  SignResponse,
  VerifyMethod,
  VerifyResponse,
} from "../api/crypto.ts";
import type { CryptoExecutor } from "../crypto/executor.ts";
import type { Job, JobResult } from "../crypto/jobs.ts";
import type { KeyRing } from "../crypto/keyring.ts";
import { resolveTarget, responseFormat, signatureEncoding, signInput } from "../crypto/requests.ts";
import { log } from "../log.ts";
import { fail, ok, type Result, Status } from "../rpc/status.ts";
import { type ServiceDef, unary } from "./handler.ts";

const INTERNAL_DETAILS = "internal error";

async function execute(executor: CryptoExecutor, job: Job): Promise<Result<JobResult & { ok: true }>> {
  const r = await executor.run(job);
  if (r.ok) return ok(r);
  log.error(`Crypto ${job.op} with key ${job.keyId} failed: ${r.error}`);
  return fail(Status.INTERNAL, INTERNAL_DETAILS);
}

function describeInput(input: Job["input"]): string {
  return "digest" in input ? `digest of ${input.digest.length} bytes` : `message of ${input.message.length} bytes`;
}

export function cryptoService(ring: KeyRing, executor: CryptoExecutor): ServiceDef {
  const keyList = ListKeysResponse.create({
    keys: ring
      .list()
      .map(({ key, spec }) => KeyInfo.create({ keyId: key.id, algorithm: spec.algorithm, bits: key.bits })),
  });

  return {
    name: "grpcperf.v1.Crypto",
    methods: [
      unary(SignMethod, async (req) => {
        const target = resolveTarget(ring, req.keyId, req.algorithm);
        if (!target.ok) return target;
        const { key, spec } = target.value;
        const input = signInput(spec, req);
        if (!input.ok) return input;
        const encoding = signatureEncoding(spec, req.format);
        if (!encoding.ok) return encoding;
        const job: Job = {
          op: "sign",
          keyId: key.id,
          algorithm: spec.algorithm,
          input: input.value,
          encoding: encoding.value,
        };
        const r = await execute(executor, job);
        if (!r.ok) return r;
        if (!("signature" in r.value)) return fail(Status.INTERNAL, INTERNAL_DETAILS);
        log.trace(`Sign ${spec.name} key=${key.id} ${describeInput(job.input)} → ${r.value.signature.length} bytes`);
        return ok(
          SignResponse.create({
            signature: r.value.signature,
            algorithm: spec.algorithm,
            keyId: key.id,
            format: responseFormat(spec, encoding.value),
          }),
        );
      }),

      unary(VerifyMethod, async (req) => {
        const target = resolveTarget(ring, req.keyId, req.algorithm);
        if (!target.ok) return target;
        const { key, spec } = target.value;
        const input = signInput(spec, req);
        if (!input.ok) return input;
        const encoding = signatureEncoding(spec, req.format);
        if (!encoding.ok) return encoding;
        const signature = req.signature ?? new Uint8Array(0);
        if (signature.length === 0) return fail(Status.INVALID_ARGUMENT, "signature is empty");
        const job: Job = {
          op: "verify",
          keyId: key.id,
          algorithm: spec.algorithm,
          input: input.value,
          encoding: encoding.value,
          signature,
        };
        const r = await execute(executor, job);
        if (!r.ok) return r;
        if (!("valid" in r.value)) return fail(Status.INTERNAL, INTERNAL_DETAILS);
        log.trace(
          `Verify ${spec.name} key=${key.id} ${describeInput(job.input)} → ${r.value.valid ? "valid" : "invalid"}`,
        );
        return ok(VerifyResponse.create({ valid: r.value.valid, algorithm: spec.algorithm, keyId: key.id }));
      }),

      unary(GetPublicKeyMethod, (req) => {
        const target = resolveTarget(ring, req.keyId, req.algorithm);
        if (!target.ok) return target;
        const { key, spec } = target.value;
        log.trace(`GetPublicKey ${spec.name} key=${key.id}`);
        return ok(
          GetPublicKeyResponse.create({ keyId: key.id, algorithm: spec.algorithm, spkiDer: key.spkiDer, pem: key.pem }),
        );
      }),

      unary(ListKeysMethod, () => ok(keyList)),
    ],
  };
}
