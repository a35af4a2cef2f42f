import { writeFileSync } from "node:fs";
import { defineCommand } from "citty";
import { sign } from "../../client/crypto.ts";
import { algorithmName, SignatureFormat } from "../../crypto/algorithms.ts";
import { CliError } from "../args.ts";
import { withHelp } from "../help.ts";
import { out } from "../output.ts";
import { callArgs, callHelp, callOrReport, connectFromArgs } from "./common.ts";
import { inputArgs, keyArgs, keySelection, messageOrDigest } from "./crypto-input.ts";

export function formatName(f: number): string {
  return f === SignatureFormat.SIGNATURE_FORMAT_RAW
    ? "raw"
    : f === SignatureFormat.SIGNATURE_FORMAT_DER
      ? "der"
      : "rsa";
}

const signCommand = defineCommand({
  meta: { name: "sign", description: "Sign a message or digest with a server key; prints the signature in hex" },
  args: {
    ...callArgs,
    ...keyArgs,
    ...inputArgs,
    out: { type: "string", alias: "o", description: "also write the signature bytes to FILE" },
  },
  async run({ args }) {
    const selection = keySelection(args);
    const input = messageOrDigest(args);
    const setup = await connectFromArgs(args);
    const { channel, timeoutMs } = setup;
    const format = args.raw ? SignatureFormat.SIGNATURE_FORMAT_RAW : SignatureFormat.SIGNATURE_FORMAT_UNSPECIFIED;
    const done = await callOrReport("sign", setup, args.json, () =>
      sign(channel, { ...selection, ...input, format }, timeoutMs),
    );
    if (!done) return;
    const { value: r, us } = done;
    const sig = Buffer.from(r.signature);
    if (args.out) {
      try {
        writeFileSync(args.out, sig);
      } catch (err) {
        throw new CliError(`--out: cannot write ${args.out}: ${(err as NodeJS.ErrnoException).code ?? err}`, 1);
      }
    }
    const json = {
      ok: true,
      algorithm: algorithmName(r.algorithm),
      key_id: r.keyId,
      format: formatName(r.format),
      signature_hex: sig.toString("hex"),
      bytes: sig.length,
      rtt_us: us,
    };
    out(
      args.json
        ? `${JSON.stringify(json)}\n`
        : `sign ${json.algorithm} key=${json.key_id} ${json.format ? `${json.format} ` : ""}${json.bytes} bytes in ${us} µs: ${json.signature_hex}\n`,
    );
  },
});

export default withHelp(
  signCommand,
  callHelp("the message was signed", "the call failed or --out could not be written"),
);
