// The Crypto service over real TCP sockets, signing on a real worker pool; OpenSSL is the independent judge.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createPublicKey, verify as nodeVerify } from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import { sha256, sha384 } from "@noble/hashes/sha2.js";
import { encodeMessage } from "../../src/api/codec.ts";
import { SignMethod, SignRequest, SignResponse } from "../../src/api/crypto.ts";
import { getPublicKey, listKeys, sign, verify } from "../../src/client/crypto.ts";
import { Algorithm, SignatureFormat } from "../../src/crypto/algorithms.ts";
import { MAX_SIGN_MESSAGE_BYTES } from "../../src/crypto/requests.ts";
import { type CryptoParts, startCrypto } from "../../src/crypto/setup.ts";
import type { RpcChannel } from "../../src/rpc/channel.ts";
import { type Result, Status } from "../../src/rpc/status.ts";
import { cryptoService } from "../../src/server/crypto.ts";
import { echoService } from "../../src/server/echo.ts";
import {
  bigintOf,
  ecPemFromScalar,
  lowS,
  type OpensslAlg,
  opensslVerifies,
  RFC6979,
  tempDir,
  writeKey,
} from "../support/crypto-fixtures.ts";
import { channelTo, serveOnLoopback, type TestServer } from "../support/helpers.ts";

const T = 20_000;
const warnings: string[] = [];
let crypto: CryptoParts;
let srv: TestServer;
let ch: RpcChannel;

beforeAll(async () => {
  crypto = await startCrypto({ workers: 2, warn: (m) => warnings.push(m) });
  srv = await serveOnLoopback([echoService(), cryptoService(crypto.ring, crypto.executor)]);
  ch = channelTo(srv.address);
});
afterAll(async () => {
  await ch.close();
  await srv.stop();
  await crypto.executor.close();
});

function value<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`call failed: ${r.error.code} ${r.error.details}`);
  return r.value;
}

function codeOf(r: Result<unknown>): number {
  return r.ok ? Status.OK : r.error.code;
}

const cases: Array<{ alg: OpensslAlg; algorithm: Algorithm; hash: (m: Uint8Array) => Uint8Array }> = [
  { alg: "rsa-pkcs1", algorithm: Algorithm.RSA_PKCS1_SHA256, hash: sha256 },
  { alg: "rsa-pss", algorithm: Algorithm.RSA_PSS_SHA256, hash: sha256 },
  { alg: "ecdsa-p256", algorithm: Algorithm.ECDSA_P256_SHA256, hash: sha256 },
  { alg: "ecdsa-p384", algorithm: Algorithm.ECDSA_P384_SHA384, hash: sha384 },
];

const message = Buffer.from("The quick brown fox jumps over the lazy dog");

describe("signatures verify with openssl", () => {
  test.each(cases)("$alg over a message and over its digest", async ({ alg, algorithm, hash }) => {
    const pub = value((await getPublicKey(ch, { algorithm }, T)).result);
    const fromMessage = value((await sign(ch, { algorithm, message }, T)).result);
    const fromDigest = value((await sign(ch, { algorithm, digest: hash(message) }, T)).result);
    expect(fromMessage.algorithm).toBe(algorithm);
    expect(fromMessage.keyId).toBe(pub.keyId);
    expect(opensslVerifies(alg, pub.pem, message, fromMessage.signature)).toBe(true);
    expect(opensslVerifies(alg, pub.pem, message, fromDigest.signature)).toBe(true);
    expect(opensslVerifies(alg, pub.pem, Buffer.from("another message"), fromMessage.signature)).toBe(false);
  });

  test.each(cases.filter((c) => c.alg !== "rsa-pss"))(
    "$alg is deterministic: digest signature == message signature",
    async ({ algorithm, hash }) => {
      const a = value((await sign(ch, { algorithm, message }, T)).result);
      const b = value((await sign(ch, { algorithm, digest: hash(message) }, T)).result);
      expect(Buffer.from(b.signature).equals(Buffer.from(a.signature))).toBe(true);
    },
  );

  test("RSA-PSS signatures are salted: two differ, both verify", async () => {
    const algorithm = Algorithm.RSA_PSS_SHA256;
    const pub = value((await getPublicKey(ch, { algorithm }, T)).result);
    const a = value((await sign(ch, { algorithm, message }, T)).result);
    const b = value((await sign(ch, { algorithm, message }, T)).result);
    expect(Buffer.from(a.signature).equals(Buffer.from(b.signature))).toBe(false);
    expect([a.signature, b.signature].map((s) => opensslVerifies("rsa-pss", pub.pem, message, s))).toEqual([
      true,
      true,
    ]);
  });

  test.each(cases.filter((c) => c.alg.startsWith("ecdsa")))(
    "$alg raw r||s: curve-sized halves, low S, accepted by BoringSSL as IEEE P1363",
    async ({ algorithm }) => {
      const res = value(
        (await sign(ch, { algorithm, message, format: SignatureFormat.SIGNATURE_FORMAT_RAW }, T)).result,
      );
      const pub = value((await getPublicKey(ch, { algorithm }, T)).result);
      const size = algorithm === Algorithm.ECDSA_P256_SHA256 ? 32 : 48;
      const n = algorithm === Algorithm.ECDSA_P256_SHA256 ? RFC6979.p256.n : RFC6979.p384.n;
      expect(res.format).toBe(SignatureFormat.SIGNATURE_FORMAT_RAW);
      expect(res.signature.length).toBe(2 * size);
      expect(bigintOf(res.signature.subarray(size))).toBeLessThanOrEqual(n / 2n);
      const key = createPublicKey({ key: Buffer.from(pub.spkiDer), format: "der", type: "spki" });
      const hashName = size === 32 ? "sha256" : "sha384";
      expect(nodeVerify(hashName, message, { key, dsaEncoding: "ieee-p1363" }, res.signature)).toBe(true);
    },
  );
});

describe("GetPublicKey and ListKeys", () => {
  test.each([
    [Algorithm.RSA_PKCS1_SHA256, "rsa", undefined],
    [Algorithm.RSA_PSS_SHA256, "rsa", undefined],
    [Algorithm.ECDSA_P256_SHA256, "ec", "prime256v1"],
    [Algorithm.ECDSA_P384_SHA384, "ec", "secp384r1"],
  ] as const)("algorithm %d gets its own key type and curve", async (algorithm, type, curve) => {
    const r = value((await getPublicKey(ch, { algorithm }, T)).result);
    expect(r.algorithm).toBe(algorithm);
    const key = createPublicKey({ key: Buffer.from(r.spkiDer), format: "der", type: "spki" });
    expect(key.asymmetricKeyType).toBe(type);
    if (curve) expect(key.asymmetricKeyDetails?.namedCurve).toBe(curve);
    // PEM and DER are the same key
    const fromPem = createPublicKey(r.pem).export({ type: "spki", format: "der" });
    expect(Buffer.compare(fromPem, Buffer.from(r.spkiDer))).toBe(0);
  });

  test("ListKeys names each key once per algorithm it signs with", async () => {
    const keys = value((await listKeys(ch, T)).result).keys.map((k) => [k.keyId, k.algorithm, k.bits]);
    expect(keys).toEqual([
      ["rsa-2048", Algorithm.RSA_PKCS1_SHA256, 2048],
      ["rsa-2048", Algorithm.RSA_PSS_SHA256, 2048],
      ["ecdsa-p256", Algorithm.ECDSA_P256_SHA256, 256],
      ["ecdsa-p384", Algorithm.ECDSA_P384_SHA384, 384],
    ]);
  });

  test("a key id alone picks the key and its first algorithm", async () => {
    const r = value((await sign(ch, { keyId: "ecdsa-p384", message }, T)).result);
    expect(r.algorithm).toBe(Algorithm.ECDSA_P384_SHA384);
    expect(r.format).toBe(SignatureFormat.SIGNATURE_FORMAT_DER);
  });
});

describe("Verify", () => {
  test.each(cases)("$alg: a good signature is valid, a changed message is not", async ({ algorithm }) => {
    const s = value((await sign(ch, { algorithm, message }, T)).result);
    const good = value((await verify(ch, { algorithm, message, signature: s.signature }, T)).result);
    expect(good.valid).toBe(true);
    const bad = value((await verify(ch, { algorithm, message: Buffer.from("x"), signature: s.signature }, T)).result);
    expect(bad.valid).toBe(false);
    const garbage = value((await verify(ch, { algorithm, message, signature: Buffer.from([1, 2, 3]) }, T)).result);
    expect(garbage.valid).toBe(false);
  });

  test("raw ECDSA signatures verify when the request says raw", async () => {
    const algorithm = Algorithm.ECDSA_P256_SHA256;
    const format = SignatureFormat.SIGNATURE_FORMAT_RAW;
    const s = value((await sign(ch, { algorithm, message, format }, T)).result);
    expect(value((await verify(ch, { algorithm, message, signature: s.signature, format }, T)).result).valid).toBe(
      true,
    );
    expect(value((await verify(ch, { algorithm, message, signature: s.signature }, T)).result).valid).toBe(false);
  });
});

describe("statuses", () => {
  const digest32 = new Uint8Array(32);
  test.each([
    ["unknown key id", { keyId: "nope", message }, Status.NOT_FOUND],
    ["unknown algorithm", { algorithm: 9 as Algorithm, message }, Status.INVALID_ARGUMENT],
    ["empty key id and algorithm", { message }, Status.INVALID_ARGUMENT],
    [
      "digest too short",
      { algorithm: Algorithm.ECDSA_P256_SHA256, digest: new Uint8Array(31) },
      Status.INVALID_ARGUMENT,
    ],
    ["SHA-256 digest for P-384", { algorithm: Algorithm.ECDSA_P384_SHA384, digest: digest32 }, Status.INVALID_ARGUMENT],
    ["empty digest", { algorithm: Algorithm.RSA_PKCS1_SHA256, digest: new Uint8Array(0) }, Status.INVALID_ARGUMENT],
    ["neither message nor digest", { algorithm: Algorithm.RSA_PKCS1_SHA256 }, Status.INVALID_ARGUMENT],
    [
      "key and algorithm disagree",
      { keyId: "ecdsa-p256", algorithm: Algorithm.RSA_PSS_SHA256, message },
      Status.INVALID_ARGUMENT,
    ],
    [
      "raw format for RSA",
      { algorithm: Algorithm.RSA_PKCS1_SHA256, message, format: SignatureFormat.SIGNATURE_FORMAT_RAW },
      Status.INVALID_ARGUMENT,
    ],
    [
      "unknown format",
      { algorithm: Algorithm.ECDSA_P256_SHA256, message, format: 7 as SignatureFormat },
      Status.INVALID_ARGUMENT,
    ],
    [
      "message over the limit",
      { algorithm: Algorithm.ECDSA_P256_SHA256, message: new Uint8Array(MAX_SIGN_MESSAGE_BYTES + 1) },
      Status.RESOURCE_EXHAUSTED,
    ],
  ] as const)("Sign: %s", async (_name, req, code) => {
    const r = (await sign(ch, req, T)).result;
    expect(codeOf(r)).toBe(code);
    if (!r.ok) expect(r.error.details.length).toBeGreaterThan(0);
  });

  test("a message exactly at the limit is signed", async () => {
    const r = (
      await sign(ch, { algorithm: Algorithm.ECDSA_P256_SHA256, message: new Uint8Array(MAX_SIGN_MESSAGE_BYTES) }, T)
    ).result;
    expect(codeOf(r)).toBe(Status.OK);
  });

  test("Verify: empty signature → INVALID_ARGUMENT, unknown key → NOT_FOUND", async () => {
    const algorithm = Algorithm.ECDSA_P256_SHA256;
    expect(codeOf((await verify(ch, { algorithm, message }, T)).result)).toBe(Status.INVALID_ARGUMENT);
    expect(codeOf((await verify(ch, { keyId: "nope", message, signature: [1] as never }, T)).result)).toBe(
      Status.NOT_FOUND,
    );
  });

  test("GetPublicKey: unknown key → NOT_FOUND, nothing named → INVALID_ARGUMENT, unknown algorithm → INVALID_ARGUMENT", async () => {
    expect(codeOf((await getPublicKey(ch, { keyId: "nope" }, T)).result)).toBe(Status.NOT_FOUND);
    expect(codeOf((await getPublicKey(ch, {}, T)).result)).toBe(Status.INVALID_ARGUMENT);
    expect(codeOf((await getPublicKey(ch, { algorithm: 42 as Algorithm }, T)).result)).toBe(Status.INVALID_ARGUMENT);
  });

  test("a failing signer → INTERNAL whose message says nothing about why", async () => {
    const broken = await startCrypto({ workers: 1, warn: () => {} });
    await broken.executor.close(); // a real pool that can no longer sign
    const s = await serveOnLoopback([cryptoService(broken.ring, broken.executor)]);
    const c = channelTo(s.address);
    const r = (await sign(c, { algorithm: Algorithm.ECDSA_P256_SHA256, message }, T)).result;
    await c.close();
    await s.stop();
    expect(codeOf(r)).toBe(Status.INTERNAL);
    if (!r.ok) expect(r.error.details).toBe("internal error");
  });
});

describe("grpc-js client → Crypto", () => {
  test("Sign answers an independent client with a signature OpenSSL verifies", async () => {
    const client = new grpc.Client(srv.target, grpc.credentials.createInsecure());
    const res = await new Promise<SignResponse>((resolve, reject) =>
      client.makeUnaryRequest(
        SignMethod.path,
        (m: SignRequest) => encodeMessage(SignRequest, m),
        (b: Buffer) => SignResponse.decode(b),
        SignRequest.create({ algorithm: Algorithm.ECDSA_P256_SHA256, message }),
        (err, r) => (err || !r ? reject(err) : resolve(r)),
      ),
    );
    client.close();
    const pub = value((await getPublicKey(ch, { algorithm: Algorithm.ECDSA_P256_SHA256 }, T)).result);
    expect(res.keyId).toBe(pub.keyId);
    expect(opensslVerifies("ecdsa-p256", pub.pem, message, res.signature)).toBe(true);
  });
});

describe("worker pool", () => {
  test("many concurrent signatures all come back right", async () => {
    const pub = value((await getPublicKey(ch, { algorithm: Algorithm.ECDSA_P256_SHA256 }, T)).result);
    const msgs = Array.from({ length: 40 }, (_, i) => Buffer.from(`message ${i}`));
    const sigs = await Promise.all(
      msgs.map((m) => sign(ch, { algorithm: Algorithm.ECDSA_P256_SHA256, message: m }, T)),
    );
    const key = createPublicKey(pub.pem);
    sigs.forEach((s, i) => {
      expect(nodeVerify("sha256", msgs[i] as Buffer, key, value(s.result).signature)).toBe(true);
    });
  });

  test("start-up with generated keys warns about nothing", () => {
    expect(warnings).toEqual([]);
  });
});

describe("RFC 6979 known answers through the server", () => {
  test.each(["p256", "p384"] as const)('%s signs "sample" with the RFC\'s r and low s', async (curve) => {
    const dir = tempDir("rfc");
    writeKey(dir, "rfc.pem", ecPemFromScalar(curve, RFC6979[curve].x));
    const parts = await startCrypto({ keyDir: dir, workers: 1, warn: () => {} });
    const s = await serveOnLoopback([cryptoService(parts.ring, parts.executor)]);
    const c = channelTo(s.address);
    const r = (
      await sign(c, { keyId: "rfc", message: Buffer.from("sample"), format: SignatureFormat.SIGNATURE_FORMAT_RAW }, T)
    ).result;
    await c.close();
    await s.stop();
    await parts.executor.close();
    const sig = value(r).signature;
    const size = sig.length / 2;
    const v = RFC6979[curve];
    expect(bigintOf(sig.subarray(0, size))).toBe(v.r);
    expect(bigintOf(sig.subarray(size))).toBe(lowS(v.s, v.n));
  });
});

describe("the same service through grpc-js's own call handling (--no-fast-path)", () => {
  let slow: TestServer;
  let c: RpcChannel;
  beforeAll(async () => {
    slow = await serveOnLoopback([cryptoService(crypto.ring, crypto.executor)], { fastPath: false });
    c = channelTo(slow.address);
  });
  afterAll(async () => {
    await c.close();
    await slow.stop();
  });

  test.each(cases)("$alg verifies with openssl", async ({ alg, algorithm }) => {
    const pub = value((await getPublicKey(c, { algorithm }, T)).result);
    const s = value((await sign(c, { algorithm, message }, T)).result);
    expect(opensslVerifies(alg, pub.pem, message, s.signature)).toBe(true);
  });

  test("statuses are the same", async () => {
    expect(codeOf((await sign(c, { keyId: "nope", message }, T)).result)).toBe(Status.NOT_FOUND);
    expect(codeOf((await sign(c, { message }, T)).result)).toBe(Status.INVALID_ARGUMENT);
    const big = new Uint8Array(MAX_SIGN_MESSAGE_BYTES + 1);
    expect(codeOf((await sign(c, { algorithm: Algorithm.RSA_PSS_SHA256, message: big }, T)).result)).toBe(
      Status.RESOURCE_EXHAUSTED,
    );
  });
});
