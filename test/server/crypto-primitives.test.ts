// The signing primitives without the server: RFC 6979 vectors, PSS padding, RSA over a digest against
// BoringSSL's own PSS/PKCS#1 verifier, and the request validation rules.
import { describe, expect, test } from "bun:test";
import {
  constants,
  createPublicKey,
  generateKeyPairSync,
  sign as nodeSign,
  verify as nodeVerify,
  randomBytes,
} from "node:crypto";
import { sha256, sha384 } from "@noble/hashes/sha2.js";
import fc from "fast-check";
import { Algorithm, algorithmByName, SignatureFormat } from "../../src/crypto/algorithms.ts";
import { ecdsaPublicPoint, ecdsaSignDigest, ecdsaVerifyDigest } from "../../src/crypto/ecdsa.ts";
import { KeyRing } from "../../src/crypto/keyring.ts";
import { generateDefaultKeys } from "../../src/crypto/keys.ts";
import { pssEncode, pssVerify } from "../../src/crypto/pss.ts";
import { resolveTarget, signatureEncoding } from "../../src/crypto/requests.ts";
import { rsaSignDigest, rsaVerifyDigest } from "../../src/crypto/rsa.ts";
import { redact } from "../../src/crypto/signer.ts";
import { Status } from "../../src/rpc/status.ts";
import { bigintOf, lowS, RFC6979 } from "../support/crypto-fixtures.ts";

const sample = Buffer.from("sample");

describe("ECDSA (noble, prehash off)", () => {
  test.each([
    ["p256", sha256],
    ["p384", sha384],
  ] as const)('RFC 6979 %s "sample": r as published, s normalised low', (curve, hash) => {
    const v = RFC6979[curve];
    const sig = ecdsaSignDigest(curve, Buffer.from(v.x, "hex"), hash(sample), "raw");
    const half = sig.length / 2;
    expect(bigintOf(sig.subarray(0, half))).toBe(v.r);
    expect(bigintOf(sig.subarray(half))).toBe(lowS(v.s, v.n));
  });

  test("the RFC's own (high-S) signature verifies: other signers do not normalise", () => {
    const v = RFC6979.p256;
    const point = ecdsaPublicPoint("p256", Buffer.from(v.x, "hex"));
    const raw = Buffer.from(v.r.toString(16).padStart(64, "0") + v.s.toString(16).padStart(64, "0"), "hex");
    expect(ecdsaVerifyDigest("p256", point, sha256(sample), raw, "raw")).toBe(true);
    expect(ecdsaVerifyDigest("p256", point, sha256(Buffer.from("test")), raw, "raw")).toBe(false);
    expect(ecdsaVerifyDigest("p256", point, sha256(sample), Buffer.from("junk"), "der")).toBe(false);
  });
});

describe("RSA over a digest", () => {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const pub = createPublicKey(privateKey);
  const message = Buffer.from("RSA over a precomputed digest");

  test("PKCS#1 v1.5 equals node:crypto's own signature over the message", () => {
    const ours = rsaSignDigest(privateKey, 2048, sha256(message), false);
    const theirs = nodeVerify("sha256", message, pub, ours);
    expect(theirs).toBe(true);
    expect(rsaVerifyDigest(pub, 2048, sha256(message), ours, false)).toBe(true);
  });

  test("PSS is accepted by BoringSSL's PSS verifier with salt length 32, and ours accepts BoringSSL's", () => {
    const ours = rsaSignDigest(privateKey, 2048, sha256(message), true);
    const opts = { key: pub, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
    expect(nodeVerify("sha256", message, opts, ours)).toBe(true);
    const theirs = nodeSign("sha256", message, {
      key: privateKey,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: 32,
    });
    expect(rsaVerifyDigest(pub, 2048, sha256(message), theirs, true)).toBe(true);
    expect(rsaVerifyDigest(pub, 2048, sha256(Buffer.from("no")), theirs, true)).toBe(false);
  });

  test("wrong-length and out-of-range signatures are simply invalid", () => {
    expect(rsaVerifyDigest(pub, 2048, sha256(message), new Uint8Array(10), true)).toBe(false);
    expect(rsaVerifyDigest(pub, 2048, sha256(message), new Uint8Array(256).fill(0xff), false)).toBe(false);
    expect(rsaVerifyDigest(pub, 2048, sha256(message), new Uint8Array(256).fill(0xff), true)).toBe(false);
  });
});

describe("EMSA-PSS encoding", () => {
  test("encode → verify round-trips for any digest and modulus size; any flipped bit fails", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.integer({ min: 1024, max: 4100 }),
        fc.nat(),
        (digest, salt, modBits, flip) => {
          const em = pssEncode(digest, salt, modBits);
          expect(em.length).toBe(Math.ceil(modBits / 8));
          expect(pssVerify(digest, em, modBits)).toBe(true);
          const bad = Uint8Array.from(em);
          const bit = flip % (bad.length * 8);
          bad[bit >> 3] = (bad[bit >> 3] as number) ^ (1 << (bit & 7));
          expect(pssVerify(digest, bad, modBits)).toBe(false);
        },
      ),
      { numRuns: 200 },
    );
  });

  test("refuses digests of the wrong length", () => {
    expect(() => pssEncode(new Uint8Array(31), randomBytes(32), 2048)).toThrow();
    expect(pssVerify(new Uint8Array(31), new Uint8Array(256), 2048)).toBe(false);
  });
});

describe("request rules", () => {
  const ring = new KeyRing(generateDefaultKeys().map((k) => k.public));

  test("key id, algorithm, both, neither", () => {
    const code = (r: ReturnType<typeof resolveTarget>) => (r.ok ? Status.OK : r.error.code);
    expect(code(resolveTarget(ring, "", 0))).toBe(Status.INVALID_ARGUMENT);
    expect(code(resolveTarget(ring, "", 99))).toBe(Status.INVALID_ARGUMENT);
    expect(code(resolveTarget(ring, "nope", Algorithm.RSA_PSS_SHA256))).toBe(Status.NOT_FOUND);
    expect(code(resolveTarget(ring, "rsa-2048", Algorithm.ECDSA_P256_SHA256))).toBe(Status.INVALID_ARGUMENT);
    const both = resolveTarget(ring, "rsa-2048", Algorithm.RSA_PSS_SHA256);
    expect(both.ok && both.value.spec.name).toBe("RSA_PSS_SHA256");
    const p384 = resolveTarget(ring, "", Algorithm.ECDSA_P384_SHA384);
    expect(p384.ok && p384.value.key.id).toBe("ecdsa-p384");
  });

  test("raw r||s only for ECDSA", () => {
    const rsa = algorithmByName("rsa-pkcs1");
    const ec = algorithmByName("ECDSA_P256_SHA256");
    if (!rsa || !ec) throw new Error("names");
    expect(signatureEncoding(rsa, SignatureFormat.SIGNATURE_FORMAT_RAW).ok).toBe(false);
    expect(signatureEncoding(ec, SignatureFormat.SIGNATURE_FORMAT_RAW)).toEqual({ ok: true, value: "raw" });
    expect(signatureEncoding(ec, SignatureFormat.SIGNATURE_FORMAT_UNSPECIFIED)).toEqual({ ok: true, value: "der" });
  });

  test("error text from a library never carries long hex or base64 runs", () => {
    expect(redact("bad scalar 0xc9afa9d845ba75166b5c215767b1d693 here")).toBe("bad scalar [redacted] here");
  });
});
