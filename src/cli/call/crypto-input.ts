// Flags shared by `call sign`, `call verify` and `call pubkey`: which key, and what to sign.
import { readFileSync } from "node:fs";
import { ALGORITHMS, algorithmByName, type SigningAlgorithm } from "../../crypto/algorithms.ts";
import { CliError } from "../args.ts";

const algNames = ALGORITHMS.map((a) => a.cliName).join(", ");

export const keyArgs = {
  alg: { type: "string", alias: "A", description: `algorithm: ${algNames}` },
  key: { type: "string", alias: "k", description: "key id (see call keys); default: the algorithm's default key" },
} as const;

export const inputArgs = {
  data: { type: "string", alias: "d", description: "message text (the server hashes it)" },
  "data-file": { type: "string", description: "message read from a file (the server hashes it)" },
  digest: { type: "string", description: "precomputed digest, hex (32 bytes for SHA-256, 48 for SHA-384)" },
  raw: { type: "boolean", description: "ECDSA signature as raw r||s instead of DER" },
} as const;

interface KeySelection {
  readonly keyId: string;
  readonly algorithm: SigningAlgorithm | 0;
}

export function keySelection(args: { alg?: string; key?: string }): KeySelection {
  if (!args.alg && !args.key) throw new CliError(`give --alg (${algNames}) or --key`, 2);
  let algorithm: SigningAlgorithm | 0 = 0;
  if (args.alg) {
    const spec = algorithmByName(args.alg);
    if (!spec) throw new CliError(`--alg: unknown algorithm "${args.alg}" (use ${algNames})`, 2);
    algorithm = spec.algorithm;
  }
  return { keyId: args.key ?? "", algorithm };
}

type MessageOrDigest = { message: Uint8Array } | { digest: Uint8Array };

function hexArg(text: string, name: string): Uint8Array {
  const t = text.trim().replace(/^0x/i, "").replace(/[\s:]/g, "");
  if (t.length === 0 || t.length % 2 !== 0 || !/^[0-9a-f]+$/i.test(t)) {
    throw new CliError(`--${name}: not a hex string`, 2);
  }
  return Buffer.from(t, "hex");
}

function readFileArg(path: string, name: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new CliError(`--${name}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? err}`, 1);
  }
}

/** Exactly one of --data, --data-file, --digest. */
export function messageOrDigest(args: { data?: string; "data-file"?: string; digest?: string }): MessageOrDigest {
  const given = [args.data, args["data-file"], args.digest].filter((v) => v !== undefined).length;
  if (given !== 1) throw new CliError("give exactly one of --data, --data-file, --digest", 2);
  if (args.data !== undefined) return { message: Buffer.from(args.data) };
  if (args["data-file"] !== undefined) return { message: readFileArg(args["data-file"], "data-file") };
  return { digest: hexArg(args.digest as string, "digest") };
}

export function readSignature(args: { signature?: string; "signature-file"?: string }): Uint8Array {
  if ((args.signature === undefined) === (args["signature-file"] === undefined)) {
    throw new CliError("give exactly one of --signature (hex), --signature-file", 2);
  }
  if (args.signature !== undefined) return hexArg(args.signature, "signature");
  return readFileArg(args["signature-file"] as string, "signature-file");
}
