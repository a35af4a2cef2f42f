// Micro-benchmarks (mitata): sign and verify per algorithm with the code the workers run, and protobuf
// encode/decode of the Crypto messages. Single-threaded, in-process: per-operation cost, not server throughput.
// Run: npm run bench:micro [-- FILTER]  (FILTER is a regular expression on benchmark names)
import { bench, group, do_not_optimize as keep, run, summary } from "mitata";
import { encodeMessage } from "../src/api/codec.ts";
import { SignRequest, SignResponse } from "../src/api/crypto.ts";
import { ALGORITHMS, Algorithm } from "../src/crypto/algorithms.ts";
import { hashWith } from "../src/crypto/digest.ts";
import { generateDefaultKeys } from "../src/crypto/keys.ts";
import { buildSigners, runJob } from "../src/crypto/signer.ts";

const pairs = generateDefaultKeys();
const signers = buildSigners(pairs.map((p) => p.private));
const keyFor = (kind: string) => pairs.find((p) => p.public.kind === kind)?.public.id ?? "";
const message = Buffer.from("grpcperf micro-benchmark message, 64 bytes long, give or take...");

group("sign (over a 64-byte message, hashing included)", () => {
  summary(() => {
    for (const spec of ALGORITHMS) {
      const job = {
        op: "sign",
        keyId: keyFor(spec.keyKind),
        algorithm: spec.algorithm,
        input: { message },
        encoding: "der",
      } as const;
      bench(spec.name, () => keep(runJob(signers, job)));
    }
  });
});

group("verify", () => {
  summary(() => {
    for (const spec of ALGORITHMS) {
      const keyId = keyFor(spec.keyKind);
      const signed = runJob(signers, {
        op: "sign",
        keyId,
        algorithm: spec.algorithm,
        input: { message },
        encoding: "der",
      });
      if (!signed.ok || !("signature" in signed)) throw new Error(`cannot sign with ${spec.name}`);
      const job = {
        op: "verify",
        keyId,
        algorithm: spec.algorithm,
        input: { message },
        encoding: "der",
        signature: signed.signature,
      } as const;
      bench(spec.name, () => keep(runJob(signers, job)));
    }
  });
});

group("hash", () => {
  bench("sha256 64 B", () => keep(hashWith("sha256", message)));
  bench("sha384 64 B", () => keep(hashWith("sha384", message)));
  const big = Buffer.alloc(1024 * 1024, 7);
  bench("sha256 1 MiB", () => keep(hashWith("sha256", big)));
});

group("protobuf", () => {
  const req = { algorithm: Algorithm.ECDSA_P256_SHA256, digest: hashWith("sha256", message) };
  const reqBytes = encodeMessage(SignRequest, req);
  const res = { signature: new Uint8Array(256).fill(1), algorithm: Algorithm.RSA_PKCS1_SHA256, keyId: "rsa-2048" };
  const resBytes = encodeMessage(SignResponse, res);
  bench("SignRequest encode", () => keep(encodeMessage(SignRequest, req)));
  bench("SignRequest decode", () => keep(SignRequest.decode(reqBytes)));
  bench("SignResponse encode (256 B signature)", () => keep(encodeMessage(SignResponse, res)));
  bench("SignResponse decode (256 B signature)", () => keep(SignResponse.decode(resBytes)));
});

const filter = process.argv[2];
await run(filter ? { filter: new RegExp(filter) } : {});
