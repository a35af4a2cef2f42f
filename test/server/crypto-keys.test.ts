// Keys from PEM files: every format, keys made by openssl itself, permissions, and files that are refused.
import { describe, expect, test } from "bun:test";
import { generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { getPublicKey, sign } from "../../src/client/crypto.ts";
import { Algorithm } from "../../src/crypto/algorithms.ts";
import { loadKeyDir, readableByOthers } from "../../src/crypto/key-dir.ts";
import { keyPairFromPem } from "../../src/crypto/keys.ts";
import { startCrypto } from "../../src/crypto/setup.ts";
import { cryptoService } from "../../src/server/crypto.ts";
import { openssl, opensslVerifies, tempDir, writeKey } from "../support/crypto-fixtures.ts";
import { channelTo, serveOnLoopback } from "../support/helpers.ts";

const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;

describe("PEM formats", () => {
  test.each([
    ["PKCS#8 RSA", String(rsa.export({ type: "pkcs8", format: "pem" })), "rsa", 2048],
    ["PKCS#1 RSA", String(rsa.export({ type: "pkcs1", format: "pem" })), "rsa", 2048],
    ["PKCS#8 EC", String(ec.export({ type: "pkcs8", format: "pem" })), "p256", 256],
    ["SEC1 EC", String(ec.export({ type: "sec1", format: "pem" })), "p256", 256],
  ])("%s", (_name, pem, kind, bits) => {
    const r = keyPairFromPem("k", pem);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.pair.public.kind).toBe(kind as never);
    expect(r.pair.public.bits).toBe(bits);
  });

  test.each([
    [
      "an RSA key of 1024 bits",
      String(generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey.export({ type: "pkcs8", format: "pem" })),
      "1024 bits",
    ],
    [
      "a P-521 key",
      String(generateKeyPairSync("ec", { namedCurve: "P-521" }).privateKey.export({ type: "pkcs8", format: "pem" })),
      "unsupported curve",
    ],
    [
      "an Ed25519 key",
      String(generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" })),
      "unsupported key type",
    ],
    [
      "a public key",
      String(generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ type: "spki", format: "pem" })),
      "no PEM private key",
    ],
    ["garbage inside PEM armour", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "cannot parse"],
    [
      "an encrypted key",
      String(ec.export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "pw" })),
      "encrypted",
    ],
  ])("refuses %s with a reason", (_name, pem, reason) => {
    const r = keyPairFromPem("k", pem);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(reason);
  });
});

describe("--key-dir", () => {
  test("keys made by openssl (genpkey, and converted to SEC1 / PKCS#1) load and sign; openssl verifies", async () => {
    const dir = tempDir("keys");
    const gen = (args: string[]) => expect(openssl(args, dir).code).toBe(0);
    gen(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", "p384.pem"]);
    gen(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072", "-out", "rsa3072.pem"]);
    gen(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "tmp-ec.key"]);
    gen(["pkey", "-in", "tmp-ec.key", "-traditional", "-out", "p256-sec1.pem"]);
    gen(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "tmp-rsa.key"]);
    gen(["pkey", "-in", "tmp-rsa.key", "-traditional", "-out", "rsa-pkcs1.pem"]);
    expect(readFileSync(join(dir, "p256-sec1.pem"), "utf8")).toContain("BEGIN EC PRIVATE KEY");
    expect(readFileSync(join(dir, "rsa-pkcs1.pem"), "utf8")).toContain("BEGIN RSA PRIVATE KEY");
    expect(readFileSync(join(dir, "p384.pem"), "utf8")).toContain("BEGIN PRIVATE KEY");
    for (const f of ["p384.pem", "rsa3072.pem", "p256-sec1.pem", "rsa-pkcs1.pem"])
      openssl(["pkey", "-in", f, "-pubout", "-out", `${f}.pub`], dir);
    Bun.spawnSync(["chmod", "600", ...["p384.pem", "rsa3072.pem", "p256-sec1.pem", "rsa-pkcs1.pem"]], { cwd: dir });

    const warnings: string[] = [];
    const parts = await startCrypto({ keyDir: dir, workers: 1, warn: (m) => warnings.push(m) });
    const s = await serveOnLoopback([cryptoService(parts.ring, parts.executor)]);
    const ch = channelTo(s.address);
    try {
      const message = Buffer.from("signed with a key openssl made");
      for (const [id, algorithm, alg] of [
        ["p384", Algorithm.ECDSA_P384_SHA384, "ecdsa-p384"],
        ["rsa3072", Algorithm.RSA_PSS_SHA256, "rsa-pss"],
        ["p256-sec1", Algorithm.ECDSA_P256_SHA256, "ecdsa-p256"],
        ["rsa-pkcs1", Algorithm.RSA_PKCS1_SHA256, "rsa-pkcs1"],
      ] as const) {
        const r = (await sign(ch, { keyId: id, algorithm, message }, 20_000)).result;
        expect(r.ok).toBe(true);
        if (!r.ok) continue;
        const opensslPub = readFileSync(join(dir, `${id}.pem.pub`), "utf8");
        expect(opensslVerifies(alg, opensslPub, message, r.value.signature)).toBe(true);
        // and the public key the server hands out is the one openssl derived
        const pub = (await getPublicKey(ch, { keyId: id }, 20_000)).result;
        expect(pub.ok && pub.value.pem.trim()).toBe(opensslPub.trim());
      }
      // the first key (by file name) able to sign an algorithm is its default
      const byAlg = (await sign(ch, { algorithm: Algorithm.RSA_PKCS1_SHA256, message }, 20_000)).result;
      expect(byAlg.ok && byAlg.value.keyId).toBe("rsa-pkcs1");
    } finally {
      await ch.close();
      await s.stop();
      await parts.executor.close();
    }
    expect(warnings).toEqual([]); // owner-only files, and every algorithm has a key
  }, 60_000); // openssl genpkey of RSA 3072 can take seconds on a busy machine

  test("a key file readable by group or others is loaded with a warning", () => {
    const dir = tempDir("perm");
    writeKey(dir, "loose.pem", String(ec.export({ type: "pkcs8", format: "pem" })), 0o644);
    writeKey(dir, "tight.pem", String(ec.export({ type: "sec1", format: "pem" })), 0o600);
    const r = loadKeyDir(dir);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.keys.map((k) => k.public.id)).toEqual(["loose", "tight"]);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toContain("loose.pem");
    expect(r.warnings[0]).toContain("0644");
  });

  test("readableByOthers looks at the group and other read bits", () => {
    expect(readableByOthers(0o600)).toBe(false);
    expect(readableByOthers(0o400)).toBe(false);
    expect(readableByOthers(0o640)).toBe(true);
    expect(readableByOthers(0o604)).toBe(true);
  });

  test("files that are not *.pem are skipped; a bad *.pem stops the start with its name", () => {
    const dir = tempDir("bad");
    writeKey(dir, "README", "not a key");
    writeKey(dir, "good.pem", String(ec.export({ type: "pkcs8", format: "pem" })));
    const ok = loadKeyDir(dir);
    expect(ok.ok && ok.skipped).toEqual(["README"]);
    writeKey(dir, "broken.pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
    const bad = loadKeyDir(dir);
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error).toContain("broken.pem");
  });

  test("an empty or missing directory is an error", () => {
    const empty = loadKeyDir(tempDir("empty"));
    expect(empty.ok).toBe(false);
    const missing = loadKeyDir("/nonexistent/grpcperf-keys");
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect(missing.error).toContain("ENOENT");
  });

  test("a directory without EC keys warns that those algorithms get NOT_FOUND", async () => {
    const dir = tempDir("rsaonly");
    writeKey(dir, "only.pem", String(rsa.export({ type: "pkcs8", format: "pem" })));
    const warnings: string[] = [];
    const parts = await startCrypto({ keyDir: dir, workers: 0, warn: (m) => warnings.push(m) });
    await parts.executor.close();
    expect(warnings.join("\n")).toContain("no key for ECDSA_P256_SHA256");
    expect(warnings.join("\n")).toContain("no key for ECDSA_P384_SHA384");
  });
});
