// The work a signing worker does, as plain data: it crosses postMessage both ways.
import type { SigningAlgorithm } from "./algorithms.ts";

/** Either a message the signer hashes, or a digest already of the algorithm's hash length. */
export type SignInput = { readonly message: Uint8Array } | { readonly digest: Uint8Array };

export type SignatureEncoding = "der" | "raw";

export type Job =
  | {
      readonly op: "sign";
      readonly keyId: string;
      readonly algorithm: SigningAlgorithm;
      readonly input: SignInput;
      readonly encoding: SignatureEncoding;
    }
  | {
      readonly op: "verify";
      readonly keyId: string;
      readonly algorithm: SigningAlgorithm;
      readonly input: SignInput;
      readonly encoding: SignatureEncoding;
      readonly signature: Uint8Array;
    };

/** error is for the server log only (never key material); the client just sees INTERNAL. */
export type JobResult =
  | { readonly ok: true; readonly signature: Uint8Array }
  | { readonly ok: true; readonly valid: boolean }
  | { readonly ok: false; readonly error: string };
