// Key material in the two shapes the server needs: the public half (main thread: listings, public keys,
// request routing) and the private half (sent once to each signing worker, never logged or returned).
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { type AlgorithmSpec, algorithmsFor, type KeyKind } from "./algorithms.ts";

export interface PublicKeyInfo {
  readonly id: string;
  readonly kind: KeyKind;
  /** RSA modulus length or curve size. */
  readonly bits: number;
  readonly spkiDer: Uint8Array;
  readonly pem: string;
  readonly algorithms: readonly AlgorithmSpec[];
}

/** What a worker needs to sign: plain bytes, so it crosses postMessage. */
export type PrivateKeyMaterial =
  | { readonly id: string; readonly kind: "rsa"; readonly bits: number; readonly pkcs8Der: Uint8Array }
  | { readonly id: string; readonly kind: "p256" | "p384"; readonly scalar: Uint8Array };

export interface KeyPair {
  readonly public: PublicKeyInfo;
  readonly private: PrivateKeyMaterial;
}

const RSA_MIN_BITS = 2048;
const RSA_MAX_BITS = 4096;

const curveKinds: Record<string, { kind: "p256" | "p384"; bits: number }> = {
  prime256v1: { kind: "p256", bits: 256 },
  "P-256": { kind: "p256", bits: 256 },
  secp384r1: { kind: "p384", bits: 384 },
  "P-384": { kind: "p384", bits: 384 },
};

function publicInfo(id: string, kind: KeyKind, bits: number, key: KeyObject): PublicKeyInfo {
  const pub = createPublicKey(key);
  return {
    id,
    kind,
    bits,
    spkiDer: new Uint8Array(pub.export({ type: "spki", format: "der" })),
    pem: String(pub.export({ type: "spki", format: "pem" })),
    algorithms: algorithmsFor(kind),
  };
}

/** Splits a node:crypto private key into our two halves; the error names the problem, never the key. */
export function keyPairFromKeyObject(
  id: string,
  key: KeyObject,
): { ok: true; pair: KeyPair } | { ok: false; error: string } {
  if (key.type !== "private") return { ok: false, error: "not a private key" };
  if (key.asymmetricKeyType === "rsa") {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS) {
      return { ok: false, error: `RSA key of ${bits} bits (${RSA_MIN_BITS}–${RSA_MAX_BITS} supported)` };
    }
    const pkcs8Der = new Uint8Array(key.export({ type: "pkcs8", format: "der" }));
    return {
      ok: true,
      pair: { public: publicInfo(id, "rsa", bits, key), private: { id, kind: "rsa", bits, pkcs8Der } },
    };
  }
  if (key.asymmetricKeyType === "ec") {
    const curve = curveKinds[key.asymmetricKeyDetails?.namedCurve ?? ""];
    if (!curve)
      return {
        ok: false,
        error: `unsupported curve ${key.asymmetricKeyDetails?.namedCurve ?? "?"} (P-256 and P-384 supported)`,
      };
    const d = key.export({ format: "jwk" }).d;
    if (typeof d !== "string") return { ok: false, error: "EC key without a private scalar" };
    const scalar = new Uint8Array(curve.bits / 8);
    const raw = Buffer.from(d, "base64url");
    scalar.set(raw, scalar.length - raw.length);
    return {
      ok: true,
      pair: { public: publicInfo(id, curve.kind, curve.bits, key), private: { id, kind: curve.kind, scalar } },
    };
  }
  return { ok: false, error: `unsupported key type ${key.asymmetricKeyType ?? "?"} (RSA and EC keys supported)` };
}

/** The keys a server has when no --key-dir is given: RSA 2048, P-256 and P-384, fresh on every start. */
export function generateDefaultKeys(): KeyPair[] {
  const made: Array<[string, KeyObject]> = [
    ["rsa-2048", generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey],
    ["ecdsa-p256", generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey],
    ["ecdsa-p384", generateKeyPairSync("ec", { namedCurve: "P-384" }).privateKey],
  ];
  return made.map(([id, key]) => {
    const r = keyPairFromKeyObject(id, key);
    if (!r.ok) throw new Error(`generated key ${id}: ${r.error}`);
    return r.pair;
  });
}

/** Parses one PEM private key (PKCS#8, SEC1 or PKCS#1: the PEM label says which). */
export function keyPairFromPem(id: string, pem: string): { ok: true; pair: KeyPair } | { ok: false; error: string } {
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(pem)) {
    return { ok: false, error: "encrypted private keys are not supported" };
  }
  if (!/-----BEGIN (RSA |EC )?PRIVATE KEY-----/.test(pem)) {
    return { ok: false, error: "no PEM private key found (expected PRIVATE KEY, EC PRIVATE KEY or RSA PRIVATE KEY)" };
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: "pem" });
  } catch {
    // The library's message is a bare ASN.1 error code; say what matters instead.
    return { ok: false, error: "cannot parse the PEM private key" };
  }
  return keyPairFromKeyObject(id, key);
}
