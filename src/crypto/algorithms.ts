// The four signature algorithms, each named for exactly what it computes, and the facts every other
// module needs about them: which key family signs, which hash, how long a digest is.
import { grpcperf } from "../gen/pb.js";

export const Algorithm = grpcperf.v1.Algorithm;
export type Algorithm = grpcperf.v1.Algorithm;
export const SignatureFormat = grpcperf.v1.SignatureFormat;
export type SignatureFormat = grpcperf.v1.SignatureFormat;

/** Key families: an RSA key signs with both RSA algorithms, an EC key only on its own curve. */
export type KeyKind = "rsa" | "p256" | "p384";

/** The algorithms that have a signer (everything except ALGORITHM_UNSPECIFIED). */
export type SigningAlgorithm =
  | typeof Algorithm.RSA_PKCS1_SHA256
  | typeof Algorithm.RSA_PSS_SHA256
  | typeof Algorithm.ECDSA_P256_SHA256
  | typeof Algorithm.ECDSA_P384_SHA384;

export interface AlgorithmSpec {
  readonly algorithm: SigningAlgorithm;
  /** The enum name, as it appears on the wire and in listings. */
  readonly name: string;
  /** The short name the CLI takes. */
  readonly cliName: string;
  readonly keyKind: KeyKind;
  readonly hash: "sha256" | "sha384";
  readonly digestBytes: 32 | 48;
}

export const ALGORITHMS: readonly AlgorithmSpec[] = [
  {
    algorithm: Algorithm.RSA_PKCS1_SHA256,
    name: "RSA_PKCS1_SHA256",
    cliName: "rsa-pkcs1",
    keyKind: "rsa",
    hash: "sha256",
    digestBytes: 32,
  },
  {
    algorithm: Algorithm.RSA_PSS_SHA256,
    name: "RSA_PSS_SHA256",
    cliName: "rsa-pss",
    keyKind: "rsa",
    hash: "sha256",
    digestBytes: 32,
  },
  {
    algorithm: Algorithm.ECDSA_P256_SHA256,
    name: "ECDSA_P256_SHA256",
    cliName: "ecdsa-p256",
    keyKind: "p256",
    hash: "sha256",
    digestBytes: 32,
  },
  {
    algorithm: Algorithm.ECDSA_P384_SHA384,
    name: "ECDSA_P384_SHA384",
    cliName: "ecdsa-p384",
    keyKind: "p384",
    hash: "sha384",
    digestBytes: 48,
  },
];

/** undefined for ALGORITHM_UNSPECIFIED and for numbers outside the enum (a newer client's value). */
export function algorithmSpec(alg: number): AlgorithmSpec | undefined {
  return ALGORITHMS.find((a) => a.algorithm === alg);
}

/** "ecdsa-p256", "ECDSA_P256_SHA256" (any case) → its spec. */
export function algorithmByName(name: string): AlgorithmSpec | undefined {
  const n = name.trim().toLowerCase();
  return ALGORITHMS.find((a) => a.cliName === n || a.name.toLowerCase() === n);
}

export function algorithmName(alg: number): string {
  return algorithmSpec(alg)?.name ?? (alg === 0 ? "ALGORITHM_UNSPECIFIED" : `ALGORITHM_${alg}`);
}

export function algorithmsFor(kind: KeyKind): readonly AlgorithmSpec[] {
  return ALGORITHMS.filter((a) => a.keyKind === kind);
}

export function isEcdsa(spec: AlgorithmSpec): boolean {
  return spec.keyKind !== "rsa";
}
