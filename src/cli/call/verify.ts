import { defineCommand } from "citty";
import { verify } from "../../client/crypto.ts";
import { algorithmName, SignatureFormat } from "../../crypto/algorithms.ts";
import { withHelp } from "../help.ts";
import { out } from "../output.ts";
import { callArgs, callHelp, callOrReport, connectFromArgs } from "./common.ts";
import { inputArgs, keyArgs, keySelection, messageOrDigest, readSignature } from "./crypto-input.ts";

const verifyCommand = defineCommand({
  meta: {
    name: "verify",
    description: "Have the server check a signature; exit 0 if valid, 1 if not (or on failure)",
  },
  args: {
    ...callArgs,
    ...keyArgs,
    ...inputArgs,
    signature: { type: "string", description: "the signature, hex" },
    "signature-file": { type: "string", description: "the signature, raw bytes from a file" },
  },
  async run({ args }) {
    const selection = keySelection(args);
    const input = messageOrDigest(args);
    const signature = readSignature(args);
    const setup = await connectFromArgs(args);
    const { channel, timeoutMs } = setup;
    const format = args.raw ? SignatureFormat.SIGNATURE_FORMAT_RAW : SignatureFormat.SIGNATURE_FORMAT_UNSPECIFIED;
    const done = await callOrReport("verify", setup, args.json, () =>
      verify(channel, { ...selection, ...input, signature, format }, timeoutMs),
    );
    if (!done) return;
    const { value: r, us } = done;
    const alg = algorithmName(r.algorithm);
    out(
      args.json
        ? `${JSON.stringify({ ok: true, valid: r.valid, algorithm: alg, key_id: r.keyId, rtt_us: us })}\n`
        : `verify ${alg} key=${r.keyId} in ${us} µs: ${r.valid ? "valid" : "INVALID"}\n`,
    );
    if (!r.valid) process.exitCode = 1;
  },
});

export default withHelp(
  verifyCommand,
  callHelp("the signature is valid", "the signature is invalid, or the call failed"),
);
