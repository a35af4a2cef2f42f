// What is sent: one pre-encoded request body per (service, algorithm), built once before the run so the
// hot loop only frames and sends bytes.
import { randomBytes } from "node:crypto";
import { encodeMessage } from "../api/codec.ts";
import { EchoMethod, EchoRequest } from "../api/echo.ts";
import { grpcperf } from "../gen/pb.js";

export type ServiceName = "echo" | "crypto";
export type ServiceChoice = ServiceName | "both";

export const SIGN_PATH = "/grpcperf.v1.Crypto/Sign";

const Algorithm = grpcperf.v1.Algorithm;

/** CLI names of the signing algorithms, in the proto's order. */
export const ALGORITHMS: Readonly<Record<string, grpcperf.v1.Algorithm>> = {
  "rsa-pkcs1-sha256": Algorithm.RSA_PKCS1_SHA256,
  "rsa-pss-sha256": Algorithm.RSA_PSS_SHA256,
  "ecdsa-p256": Algorithm.ECDSA_P256_SHA256,
  "ecdsa-p384": Algorithm.ECDSA_P384_SHA384,
};

export const DEFAULT_ALGORITHMS: readonly string[] = ["ecdsa-p256"];

export function isAlgorithm(name: string): boolean {
  return Object.hasOwn(ALGORITHMS, name);
}

/** One kind of call. Calls of a thread take the workloads in turn, so `both` is an even mix. */
export interface Workload {
  readonly service: ServiceName;
  readonly path: string;
  /** Encoded request messages; a call uses them in turn (one per crypto algorithm). */
  readonly bodies: readonly Buffer[];
}

export interface WorkloadSpec {
  readonly service: ServiceChoice;
  readonly payloadSize: number;
  readonly algorithms: readonly string[];
}

export function servicesOf(choice: ServiceChoice): ServiceName[] {
  return choice === "both" ? ["echo", "crypto"] : [choice];
}

export function buildWorkloads(spec: WorkloadSpec): Workload[] {
  // Random rather than zero bytes, so a compressing or deduplicating path cannot flatter the figures.
  const payload = randomBytes(spec.payloadSize);
  return servicesOf(spec.service).map((service) =>
    service === "echo"
      ? { service, path: EchoMethod.path, bodies: [encodeMessage(EchoRequest, { payload })] }
      : {
          service,
          path: SIGN_PATH,
          bodies: spec.algorithms.map((name) =>
            encodeMessage(grpcperf.v1.SignRequest, { algorithm: ALGORITHMS[name], message: payload }),
          ),
        },
  );
}
