// Signing and verifying with the private key material a worker holds; the same code runs inline when
// --crypto-workers is 0. Pure apart from the PSS salt.
import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { Algorithm, algorithmSpec } from "./algorithms.ts";
import { hashWith } from "./digest.ts";
import { type Curve, ecdsaPublicPoint, ecdsaSignDigest, ecdsaVerifyDigest } from "./ecdsa.ts";
import type { Job, JobResult } from "./jobs.ts";
import type { PrivateKeyMaterial } from "./keys.ts";
import { rsaSignDigest, rsaVerifyDigest } from "./rsa.ts";

type Signer =
  | { readonly kind: "rsa"; readonly bits: number; readonly priv: KeyObject; readonly pub: KeyObject }
  | { readonly kind: Curve; readonly scalar: Uint8Array; readonly point: Uint8Array };

export type Signers = ReadonlyMap<string, Signer>;

export function buildSigners(keys: readonly PrivateKeyMaterial[]): Signers {
  const out = new Map<string, Signer>();
  for (const k of keys) {
    if (k.kind === "rsa") {
      const priv = createPrivateKey({ key: Buffer.from(k.pkcs8Der), format: "der", type: "pkcs8" });
      out.set(k.id, { kind: "rsa", bits: k.bits, priv, pub: createPublicKey(priv) });
    } else {
      out.set(k.id, { kind: k.kind, scalar: k.scalar, point: ecdsaPublicPoint(k.kind, k.scalar) });
    }
  }
  return out;
}

export function runJob(signers: Signers, job: Job): JobResult {
  const signer = signers.get(job.keyId);
  const spec = algorithmSpec(job.algorithm);
  // The main thread validated the request against the same key set: a miss here is a bug.
  if (!signer || !spec || spec.keyKind !== signer.kind) return { ok: false, error: "key and algorithm do not match" };
  const digest = "digest" in job.input ? job.input.digest : hashWith(spec.hash, job.input.message);
  if (digest.length !== spec.digestBytes) return { ok: false, error: "digest length does not match" };
  const pss = job.algorithm === Algorithm.RSA_PSS_SHA256;
  if (job.op === "sign") {
    const signature =
      signer.kind === "rsa"
        ? rsaSignDigest(signer.priv, signer.bits, digest, pss)
        : ecdsaSignDigest(signer.kind, signer.scalar, digest, job.encoding);
    return { ok: true, signature };
  }
  const valid =
    signer.kind === "rsa"
      ? rsaVerifyDigest(signer.pub, signer.bits, digest, job.signature, pss)
      : ecdsaVerifyDigest(signer.kind, signer.point, digest, job.signature, job.encoding);
  return { ok: true, valid };
}

/** Long runs of hex/base64 in a library's message could be key bytes: they never reach a log line. */
export function redact(text: string): string {
  return text.replace(/[0-9A-Za-z+/=_-]{16,}/g, "[redacted]");
}

/** For the worker boundary: a thrown error becomes a value whose text is safe to log. */
export function runJobSafely(signers: Signers, job: Job): JobResult {
  try {
    return runJob(signers, job);
  } catch (err) {
    return { ok: false, error: err instanceof Error ? redact(`${err.name}: ${err.message}`) : "non-error thrown" };
  }
}
