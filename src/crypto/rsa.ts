// RSA over a precomputed SHA-256 digest with node:crypto (Bun's BoringSSL): PKCS#1 v1.5 as
// DigestInfo + type-1 padding, PSS as our EMSA-PSS encoding + the raw RSA operation.
import { constants, type KeyObject, privateEncrypt, publicDecrypt, randomBytes } from "node:crypto";
import { PSS_SALT_BYTES, pssEncode, pssVerify } from "./pss.ts";

/** DER DigestInfo header for SHA-256 (RFC 8017, 9.2 note 1); the digest follows. */
const SHA256_DIGEST_INFO = Buffer.from("3031300d060960864801650304020105000420", "hex");

export function rsaSignDigest(key: KeyObject, modBits: number, digest: Uint8Array, pss: boolean): Uint8Array {
  if (pss) {
    const em = pssEncode(digest, randomBytes(PSS_SALT_BYTES), modBits);
    return privateEncrypt({ key, padding: constants.RSA_NO_PADDING }, em);
  }
  return privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, Buffer.concat([SHA256_DIGEST_INFO, digest]));
}

export function rsaVerifyDigest(
  key: KeyObject,
  modBits: number,
  digest: Uint8Array,
  signature: Uint8Array,
  pss: boolean,
): boolean {
  if (signature.length !== Math.ceil(modBits / 8)) return false;
  let raw: Buffer;
  try {
    raw = publicDecrypt(
      { key, padding: pss ? constants.RSA_NO_PADDING : constants.RSA_PKCS1_PADDING },
      Buffer.from(signature),
    );
  } catch {
    return false; // signature ≥ modulus, or not type-1 padded
  }
  if (pss) return pssVerify(digest, raw, modBits);
  return (
    raw.length === SHA256_DIGEST_INFO.length + digest.length && raw.equals(Buffer.concat([SHA256_DIGEST_INFO, digest]))
  );
}
