import { defineCommand } from "citty";
import { listKeys } from "../../client/crypto.ts";
import { algorithmName } from "../../crypto/algorithms.ts";
import { withHelp } from "../help.ts";
import { out } from "../output.ts";
import { callArgs, callHelp, connectFromArgs, failureLine, hintAfterFailure } from "./common.ts";

const keysCommand = defineCommand({
  meta: { name: "keys", description: "List the server's keys: id, algorithm, bits (one line per key and algorithm)" },
  args: { ...callArgs },
  async run({ args }) {
    const setup = await connectFromArgs(args);
    const { channel, timeoutMs } = setup;
    let m: Awaited<ReturnType<typeof listKeys>>;
    try {
      m = await listKeys(channel, timeoutMs);
    } finally {
      await channel.close();
    }
    if (!m.result.ok) {
      const { code, details } = m.result.error;
      out(
        args.json
          ? `${JSON.stringify({ ok: false, code, error: details })}\n`
          : `keys: FAILED: ${failureLine(code, details)}\n`,
      );
      await hintAfterFailure(setup, code);
      process.exitCode = 1;
      return;
    }
    for (const k of m.result.value.keys) {
      const alg = algorithmName(k.algorithm ?? 0);
      out(
        args.json
          ? `${JSON.stringify({ key_id: k.keyId, algorithm: alg, bits: k.bits })}\n`
          : `${(k.keyId ?? "").padEnd(20)} ${alg.padEnd(18)} ${k.bits}\n`,
      );
    }
  },
});

export default withHelp(keysCommand, callHelp("the keys were listed", "the call failed"));
