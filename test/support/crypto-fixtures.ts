// Crypto test plumbing: the openssl CLI as the independent verifier, temporary key directories, and the
// RFC 6979 keys as PEM files.
import { createPrivateKey } from "node:crypto";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { p256, p384 } from "@noble/curves/nist.js";

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `grpcperf-${prefix}-`));
}

export function openssl(args: string[], cwd: string): { code: number; out: string } {
  const p = Bun.spawnSync(["openssl", ...args], { cwd, stdout: "pipe", stderr: "pipe" });
  return { code: p.exitCode ?? -1, out: p.stdout.toString() + p.stderr.toString() };
}

export type OpensslAlg = "rsa-pkcs1" | "rsa-pss" | "ecdsa-p256" | "ecdsa-p384";

/** `openssl dgst -verify`: true when OpenSSL accepts the signature over the message. */
export function opensslVerifies(alg: OpensslAlg, spkiPem: string, message: Uint8Array, signature: Uint8Array): boolean {
  const dir = tempDir("ossl");
  writeFileSync(join(dir, "pub.pem"), spkiPem);
  writeFileSync(join(dir, "msg.bin"), message);
  writeFileSync(join(dir, "sig.bin"), signature);
  const pss =
    alg === "rsa-pss"
      ? ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32", "-sigopt", "rsa_mgf1_md:sha256"]
      : [];
  const hash = alg === "ecdsa-p384" ? "-sha384" : "-sha256";
  const r = openssl(["dgst", hash, "-verify", "pub.pem", ...pss, "-signature", "sig.bin", "msg.bin"], dir);
  return r.code === 0 && r.out.includes("Verified OK");
}

/** Writes a PEM file with owner-only permissions (unless told otherwise) and returns its path. */
export function writeKey(dir: string, name: string, pem: string, mode = 0o600): string {
  const path = join(dir, name);
  writeFileSync(path, pem);
  chmodSync(path, mode);
  return path;
}

/** RFC 6979 A.2.5 (P-256) and A.2.6 (P-384): private keys, and the signatures of "sample". */
export const RFC6979 = {
  p256: {
    x: "C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721",
    n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
    r: 0xefd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716n,
    s: 0xf7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8n,
  },
  p384: {
    x: "6B9D3DAD2E1B8C1C05B19875B6659F4DE23C3B667BF297BA9AA47740787137D896D5724E4C70A825F872C9EA60D2EDF5",
    n: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
    r: 0x94edbb92a5ecb8aad4736e56c691916b3f88140666ce9fa73d64c4ea95ad133c81a648152e44acf96e36dd1e80fabe46n,
    s: 0x99ef4aeb15f178cea1fe40db2603138f130e740a19624526203b6351d0a3a94fa329c145786e679e7b82c71a38628ac8n,
  },
} as const;

/** The signature a low-S signer must produce for an (r, s) pair: s or n − s, whichever is smaller. */
export function lowS(s: bigint, n: bigint): bigint {
  return s > n / 2n ? n - s : s;
}

/** An EC private key from its scalar, as PKCS#8 PEM. */
export function ecPemFromScalar(curve: "p256" | "p384", scalarHex: string): string {
  const d = Buffer.from(scalarHex, "hex");
  const point = (curve === "p256" ? p256 : p384).getPublicKey(d, false);
  const size = d.length;
  const jwk = {
    kty: "EC",
    crv: curve === "p256" ? "P-256" : "P-384",
    d: d.toString("base64url"),
    x: Buffer.from(point.subarray(1, 1 + size)).toString("base64url"),
    y: Buffer.from(point.subarray(1 + size)).toString("base64url"),
  };
  return String(createPrivateKey({ key: jwk, format: "jwk" }).export({ type: "pkcs8", format: "pem" }));
}

export function bigintOf(bytes: Uint8Array): bigint {
  return BigInt(`0x${Buffer.from(bytes).toString("hex") || "0"}`);
}
