// EMSA-PSS encoding and verification (RFC 8017, 9.1.1 / 9.1.2) with SHA-256, MGF1-SHA256 and a 32-byte
// salt. node:crypto can only PSS-sign a message it hashes itself; to sign a client's precomputed digest
// the padding is built here and the raw RSA operation is left to BoringSSL.
import { sha256 } from "@noble/hashes/sha2.js";

export const PSS_SALT_BYTES = 32;
const H_LEN = 32;

function mgf1(seed: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  const block = new Uint8Array(seed.length + 4);
  block.set(seed);
  const view = new DataView(block.buffer);
  for (let counter = 0, offset = 0; offset < length; counter++, offset += H_LEN) {
    view.setUint32(seed.length, counter);
    const h = sha256(block);
    out.set(h.subarray(0, Math.min(H_LEN, length - offset)), offset);
  }
  return out;
}

/** H = Hash(0x00 * 8 || mHash || salt) */
function saltedHash(mHash: Uint8Array, salt: Uint8Array): Uint8Array {
  const m = new Uint8Array(8 + mHash.length + salt.length);
  m.set(mHash, 8);
  m.set(salt, 8 + mHash.length);
  return sha256(m);
}

/** The encoded message EM for a modulus of modBits, left-padded with zeros to the modulus length. */
export function pssEncode(mHash: Uint8Array, salt: Uint8Array, modBits: number): Uint8Array {
  const emBits = modBits - 1;
  const emLen = Math.ceil(emBits / 8);
  if (mHash.length !== H_LEN || salt.length !== PSS_SALT_BYTES) throw new Error("PSS: bad digest or salt length");
  if (emLen < H_LEN + PSS_SALT_BYTES + 2) throw new Error("PSS: modulus too small");
  const dbLen = emLen - H_LEN - 1;
  const h = saltedHash(mHash, salt);
  const db = new Uint8Array(dbLen);
  db[dbLen - PSS_SALT_BYTES - 1] = 0x01;
  db.set(salt, dbLen - PSS_SALT_BYTES);
  const mask = mgf1(h, dbLen);
  for (let i = 0; i < dbLen; i++) db[i] = (db[i] as number) ^ (mask[i] as number);
  db[0] = (db[0] as number) & (0xff >> (8 * emLen - emBits));
  const k = Math.ceil(modBits / 8);
  const out = new Uint8Array(k);
  const em = out.subarray(k - emLen);
  em.set(db);
  em.set(h, dbLen);
  em[emLen - 1] = 0xbc;
  return out;
}

/** Checks EM (the raw RSA public operation's output, modulus-length) against mHash. */
export function pssVerify(mHash: Uint8Array, raw: Uint8Array, modBits: number): boolean {
  const emBits = modBits - 1;
  const emLen = Math.ceil(emBits / 8);
  const k = Math.ceil(modBits / 8);
  if (mHash.length !== H_LEN || raw.length !== k || emLen < H_LEN + PSS_SALT_BYTES + 2) return false;
  for (let i = 0; i < k - emLen; i++) if (raw[i] !== 0) return false;
  const em = raw.subarray(k - emLen);
  if (em[emLen - 1] !== 0xbc) return false;
  const dbLen = emLen - H_LEN - 1;
  const topMask = 0xff >> (8 * emLen - emBits);
  if (((em[0] as number) & ~topMask) !== 0) return false;
  const h = em.subarray(dbLen, dbLen + H_LEN);
  const db = mgf1(h, dbLen);
  for (let i = 0; i < dbLen; i++) db[i] = (db[i] as number) ^ (em[i] as number);
  db[0] = (db[0] as number) & topMask;
  const psLen = dbLen - PSS_SALT_BYTES - 1;
  for (let i = 0; i < psLen; i++) if (db[i] !== 0) return false;
  if (db[psLen] !== 0x01) return false;
  const expected = saltedHash(mHash, db.subarray(dbLen - PSS_SALT_BYTES));
  let diff = 0;
  for (let i = 0; i < H_LEN; i++) diff |= (expected[i] as number) ^ (h[i] as number);
  return diff === 0;
}
