// ECDSA with @noble/curves: deterministic k (RFC 6979, no extra entropy), low-S signatures, always over a
// digest the caller computed (prehash off), DER or raw r‖s.
import { p256, p384 } from "@noble/curves/nist.js";

export type Curve = "p256" | "p384";
type EcdsaFormat = "der" | "raw";

const curves = { p256, p384 } as const;
const nobleFormat = { der: "der", raw: "compact" } as const;

export function ecdsaSignDigest(curve: Curve, secret: Uint8Array, digest: Uint8Array, format: EcdsaFormat): Uint8Array {
  return curves[curve].sign(digest, secret, {
    prehash: false,
    lowS: true,
    extraEntropy: false,
    format: nobleFormat[format],
  });
}

/** Accepts high-S signatures too: other signers (OpenSSL among them) do not normalise S. */
export function ecdsaVerifyDigest(
  curve: Curve,
  publicPoint: Uint8Array,
  digest: Uint8Array,
  signature: Uint8Array,
  format: EcdsaFormat,
): boolean {
  try {
    return curves[curve].verify(signature, digest, publicPoint, {
      prehash: false,
      lowS: false,
      format: nobleFormat[format],
    });
  } catch {
    return false; // malformed encoding
  }
}

export function ecdsaPublicPoint(curve: Curve, secret: Uint8Array): Uint8Array {
  return curves[curve].getPublicKey(secret, false);
}
