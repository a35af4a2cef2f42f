// Request validation for the Crypto service, as pure functions: a request's fields in, the key and
// algorithm to use (or the gRPC status the issue prescribes) out.
import { fail, ok, type Result, Status } from "../rpc/status.ts";
import { type AlgorithmSpec, algorithmName, algorithmSpec, isEcdsa, SignatureFormat } from "./algorithms.ts";
import type { SignatureEncoding, SignInput } from "./jobs.ts";
import type { KeyRing } from "./keyring.ts";
import type { PublicKeyInfo } from "./keys.ts";

/** Bigger messages should be hashed by the client and sent as a digest. */
export const MAX_SIGN_MESSAGE_BYTES = 1024 * 1024;

interface Target {
  readonly key: PublicKeyInfo;
  readonly spec: AlgorithmSpec;
}

/** key_id and/or algorithm → the key and algorithm to use. */
export function resolveTarget(ring: KeyRing, keyId: string, algorithm: number): Result<Target> {
  const spec = algorithm === 0 ? undefined : algorithmSpec(algorithm);
  if (algorithm !== 0 && !spec) return fail(Status.INVALID_ARGUMENT, `unknown algorithm ${algorithm}`);
  if (keyId === "") {
    if (!spec) return fail(Status.INVALID_ARGUMENT, "set key_id or algorithm");
    const key = ring.defaultFor(spec);
    return key ? ok({ key, spec }) : fail(Status.NOT_FOUND, `no key for ${spec.name}`);
  }
  const key = ring.get(keyId);
  if (!key) return fail(Status.NOT_FOUND, `no key with id "${keyId}"`);
  if (!spec) return ok({ key, spec: key.algorithms[0] as AlgorithmSpec });
  // By id, not identity: keys copied to a server thread carry copies of the specs.
  if (!key.algorithms.some((a) => a.algorithm === spec.algorithm)) {
    return fail(
      Status.INVALID_ARGUMENT,
      `key "${keyId}" cannot sign with ${algorithmName(algorithm)} (it signs with ${key.algorithms.map((a) => a.name).join(", ")})`,
    );
  }
  return ok({ key, spec });
}

/** The oneof input: a message within the size limit, or a digest exactly as long as the algorithm's hash. */
export function signInput(
  spec: AlgorithmSpec,
  req: { input?: "message" | "digest"; message?: Uint8Array | null; digest?: Uint8Array | null },
): Result<SignInput> {
  if (req.input === "digest") {
    const digest = req.digest ?? new Uint8Array(0);
    if (digest.length !== spec.digestBytes) {
      return fail(
        Status.INVALID_ARGUMENT,
        `digest is ${digest.length} bytes; ${spec.name} needs ${spec.digestBytes} (${spec.hash})`,
      );
    }
    return ok({ digest });
  }
  if (req.input === "message") {
    const message = req.message ?? new Uint8Array(0);
    if (message.length > MAX_SIGN_MESSAGE_BYTES) {
      return fail(
        Status.RESOURCE_EXHAUSTED,
        `message is ${message.length} bytes; the limit is ${MAX_SIGN_MESSAGE_BYTES} (send a digest instead)`,
      );
    }
    return ok({ message });
  }
  return fail(Status.INVALID_ARGUMENT, "set message or digest");
}

/** DER is ECDSA's default; raw r‖s exists only for ECDSA. RSA signatures have one form. */
export function signatureEncoding(spec: AlgorithmSpec, format: number): Result<SignatureEncoding> {
  switch (format) {
    case SignatureFormat.SIGNATURE_FORMAT_UNSPECIFIED:
    case SignatureFormat.SIGNATURE_FORMAT_DER:
      return ok("der");
    case SignatureFormat.SIGNATURE_FORMAT_RAW:
      return isEcdsa(spec) ? ok("raw") : fail(Status.INVALID_ARGUMENT, `raw r||s is for ECDSA, not ${spec.name}`);
    default:
      return fail(Status.INVALID_ARGUMENT, `unknown signature format ${format}`);
  }
}

/** The format a response reports: what was produced, UNSPECIFIED for RSA's single form. */
export function responseFormat(spec: AlgorithmSpec, encoding: SignatureEncoding): SignatureFormat {
  if (!isEcdsa(spec)) return SignatureFormat.SIGNATURE_FORMAT_UNSPECIFIED;
  return encoding === "raw" ? SignatureFormat.SIGNATURE_FORMAT_RAW : SignatureFormat.SIGNATURE_FORMAT_DER;
}
