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
import type { AlgorithmSpec } from "../crypto/algorithms.ts";
import { type CryptoExecutor, isRefused, type Refused } from "../crypto/executor.ts";
import type { SignatureEncoding, SignInput } from "../crypto/jobs.ts";
import type { KeyRing } from "../crypto/keyring.ts";
import type { PublicKeyInfo } from "../crypto/keys.ts";
import { resolveTarget, responseFormat, signatureEncoding, signInput } from "../crypto/requests.ts";
import { LEVELS, log } from "../log.ts";
import { fail, ok, type Result, type RpcError, rpcError, Status } from "../rpc/status.ts";
import { type ServiceDef, unary } from "./handler.ts";

const INTERNAL_DETAILS = "internal error";

/** Per-request lines exist only at trace level; below it, not even their strings are built. */
function tracing(): boolean {
  return log.level >= LEVELS.trace;
}

interface Prepared {
  readonly key: PublicKeyInfo;
  readonly spec: AlgorithmSpec;
  readonly input: SignInput;
  readonly encoding: SignatureEncoding;
}

/** What Sign and Verify requests share: which key and algorithm, what input, which signature encoding. */
function prepare(
  ring: KeyRing,
  req: {
    keyId: string;
    algorithm: number;
    format: number;
    input?: "message" | "digest";
    message?: Uint8Array | null;
    digest?: Uint8Array | null;
  },
): Result<Prepared> {
  const target = resolveTarget(ring, req.keyId, req.algorithm);
  if (!target.ok) return target;
  const { key, spec } = target.value;
  const input = signInput(spec, req);
  if (!input.ok) return input;
  const encoding = signatureEncoding(spec, req.format);
  if (!encoding.ok) return encoding;
  return ok({ key, spec, input: input.value, encoding: encoding.value });
}

function describe(p: Prepared): string {
  const what = "digest" in p.input ? `digest of ${p.input.digest.length}` : `message of ${p.input.message.length}`;
  return `${p.spec.name} key=${p.key.id} ${what} bytes`;
}

/** A failed job is our fault, not the client's: the reason goes to the log, the client hears "internal". */
function internal(op: string, p: Prepared, reason: string): Result<never> {
  log.error(`Crypto ${op} with key ${p.key.id} failed: ${reason}`);
  return fail(Status.INTERNAL, INTERNAL_DETAILS);
}

/** A job the executor gave back unsigned. A full queue is RESOURCE_EXHAUSTED, not UNAVAILABLE: the gRPC
 * status table gives RESOURCE_EXHAUSTED for a server temporarily out of resources, and grpc-go servers use
 * it for their own limits. UNAVAILABLE says the server is down or unreachable, and many clients, proxies
 * and retry settings retry it at once, which would feed the very flood that filled the queue;
 * RESOURCE_EXHAUSTED reads like HTTP 429 and is retried only by a client that chose to. A dropped job's
 * caller has usually heard its status from the transport already; this is for when it has not. */
function refusalStatus(r: Refused): RpcError {
  switch (r.refused) {
    case "full":
      return rpcError(Status.RESOURCE_EXHAUSTED, r.error);
    case "deadline":
      return rpcError(Status.DEADLINE_EXCEEDED, r.error);
    case "cancelled":
      return rpcError(Status.CANCELLED, r.error);
  }
}

/** Refusals are the server protecting itself, not faults: a trace line, never a warning per call. */
function refuse(op: string, p: Prepared, r: Refused): Result<never> {
  if (tracing()) log.trace(`${op} ${describe(p)} → not run: ${r.error}`);
  return { ok: false, error: refusalStatus(r) };
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
      unary(SignMethod, async (req, ctx) => {
        const p = prepare(ring, req);
        if (!p.ok) return p;
        const { key, spec, input, encoding } = p.value;
        const r = await executor.run({ op: "sign", keyId: key.id, algorithm: spec.algorithm, input, encoding }, ctx);
        if (isRefused(r)) return refuse("Sign", p.value, r);
        if (!r.ok) return internal("sign", p.value, r.error);
        if (!("signature" in r)) return internal("sign", p.value, "no signature in the result");
        if (tracing()) log.trace(`Sign ${describe(p.value)} → ${r.signature.length} bytes`);
        return ok(
          SignResponse.create({
            signature: r.signature,
            algorithm: spec.algorithm,
            keyId: key.id,
            format: responseFormat(spec, encoding),
          }),
        );
      }),

      unary(VerifyMethod, async (req, ctx) => {
        const p = prepare(ring, req);
        if (!p.ok) return p;
        const signature = req.signature ?? new Uint8Array(0);
        if (signature.length === 0) return fail(Status.INVALID_ARGUMENT, "signature is empty");
        const { key, spec, input, encoding } = p.value;
        const r = await executor.run(
          { op: "verify", keyId: key.id, algorithm: spec.algorithm, input, encoding, signature },
          ctx,
        );
        if (isRefused(r)) return refuse("Verify", p.value, r);
        if (!r.ok) return internal("verify", p.value, r.error);
        if (!("valid" in r)) return internal("verify", p.value, "no verdict in the result");
        if (tracing()) log.trace(`Verify ${describe(p.value)} → ${r.valid ? "valid" : "invalid"}`);
        return ok(VerifyResponse.create({ valid: r.valid, algorithm: spec.algorithm, keyId: key.id }));
      }),

      unary(GetPublicKeyMethod, (req) => {
        const target = resolveTarget(ring, req.keyId, req.algorithm);
        if (!target.ok) return target;
        const { key, spec } = target.value;
        if (tracing()) log.trace(`GetPublicKey ${spec.name} key=${key.id}`);
        return ok(
          GetPublicKeyResponse.create({ keyId: key.id, algorithm: spec.algorithm, spkiDer: key.spkiDer, pem: key.pem }),
        );
      }),

      unary(ListKeysMethod, () => ok(keyList)),
    ],
  };
}
