import { writeFileSync } from "node:fs";
import { defineCommand } from "citty";
import { getPublicKey } from "../../client/crypto.ts";
import { algorithmName } from "../../crypto/algorithms.ts";
import { CliError } from "../args.ts";
import { withHelp } from "../help.ts";
import { out } from "../output.ts";
import { callArgs, callHelp, callOrReport, connectFromArgs } from "./common.ts";
import { keyArgs, keySelection } from "./crypto-input.ts";

function writeOut(path: string, data: string | Uint8Array, flag: string): void {
  try {
    writeFileSync(path, data);
  } catch (err) {
    throw new CliError(`--${flag}: cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? err}`, 1);
  }
}

const pubkeyCommand = defineCommand({
  meta: {
    name: "pubkey",
    description: "Fetch a public key (SPKI); prints the PEM, or writes it with --pem/--der FILE",
  },
  args: {
    ...callArgs,
    ...keyArgs,
    pem: { type: "string", description: "write the PEM to FILE" },
    der: { type: "string", description: "write the SPKI DER to FILE" },
  },
  async run({ args }) {
    const selection = keySelection(args);
    const setup = await connectFromArgs(args);
    const { channel, timeoutMs } = setup;
    const done = await callOrReport("pubkey", setup, args.json, () => getPublicKey(channel, selection, timeoutMs));
    if (!done) return;
    const { value: r, us } = done;
    const der = Buffer.from(r.spkiDer);
    if (args.pem) writeOut(args.pem, r.pem, "pem");
    if (args.der) writeOut(args.der, der, "der");
    const alg = algorithmName(r.algorithm);
    if (args.json) {
      const json = {
        ok: true,
        key_id: r.keyId,
        algorithm: alg,
        pem: r.pem,
        spki_der_hex: der.toString("hex"),
        rtt_us: us,
      };
      out(`${JSON.stringify(json)}\n`);
    } else if (args.pem || args.der) {
      const files = [args.pem, args.der].filter(Boolean).join(", ");
      out(`pubkey ${alg} key=${r.keyId} (${der.length} bytes DER) in ${us} µs → ${files}\n`);
    } else {
      out(r.pem.endsWith("\n") ? r.pem : `${r.pem}\n`);
    }
  },
});

export default withHelp(
  pubkeyCommand,
  callHelp("the public key was fetched", "the call failed or the file could not be written"),
);
