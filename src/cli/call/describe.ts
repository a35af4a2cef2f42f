// `grpcperf call describe [SYMBOL]`: a service, method, message or enum as proto source text, as grpcurl
// describes it; without a symbol, every service.
import { defineCommand } from "citty";
import type protobuf from "protobufjs";
import { fromFiles, loadFileSchema, openReflection, serviceOf } from "../../client/schema.ts";
import { describeSymbol } from "../../schema/describe.ts";
import { listServices } from "../../schema/lookup.ts";
import type { Result } from "../../schema/result.ts";
import { applyLogLevel, CliError } from "../args.ts";
import { withHelp } from "../help.ts";
import { callArgs, callHelp, connectFromArgs } from "./common.ts";
import { headerFlags, schemaArgs, schemaFlags } from "./schema-args.ts";

const full = (o: protobuf.ReflectionObject) => o.fullName.replace(/^\./, "");

function describeAll(root: protobuf.Root, symbols: readonly string[]): string {
  return symbols
    .map((s) => {
      const d = describeSymbol(root, s);
      if (!d.ok) throw new CliError(d.error, 2);
      return `${s} is a ${d.kind}:\n${d.text}\n`;
    })
    .join("\n");
}

/** The Root reflection gives for a symbol: the file defining it, or else its parent's (a method, a field). */
async function reflectedRoot(
  root: (symbols: string[]) => Promise<Result<{ root: protobuf.Root }>>,
  symbol: string,
): Promise<protobuf.Root> {
  const name = symbol.replace(/^\./, "").replace("/", ".");
  const first = await root([name]);
  if (first.ok) return first.root;
  const parent = serviceOf(name);
  if (parent !== "") {
    const second = await root([parent]);
    if (second.ok) return second.root;
  }
  throw new CliError(`${symbol}: ${first.error}`, 2);
}

const describeCommand = defineCommand({
  meta: { name: "describe", description: "Show a service, method, message or enum as proto source" },
  args: {
    symbol: { type: "positional", required: false, description: "a full name, e.g. pkg.Service or pkg.Message" },
    ...schemaArgs,
    ...callArgs,
  },
  async run({ args, rawArgs }) {
    const flags = schemaFlags(rawArgs, args);
    const metadata = headerFlags(rawArgs);
    let text: string;
    if (fromFiles(flags)) {
      applyLogLevel(args["log-level"]);
      const s = loadFileSchema(flags);
      if (!s.ok) throw new CliError(s.error, 2);
      text = describeAll(s.root, args.symbol === undefined ? listServices(s.root).map(full) : [args.symbol]);
    } else {
      const { channel, timeoutMs } = await connectFromArgs(args);
      try {
        const opened = await openReflection(channel, { timeoutMs, metadata });
        if (!opened.ok) throw new CliError(opened.error, opened.error.startsWith("server reflection failed") ? 1 : 2);
        const session = opened.session;
        try {
          if (args.symbol === undefined) {
            const names = session.services();
            const r = await session.root(names);
            if (!r.ok) throw new CliError(r.error, 1);
            text = describeAll(r.root, names);
          } else {
            text = describeAll(await reflectedRoot((s) => session.root(s), args.symbol), [args.symbol]);
          }
        } finally {
          session.close();
        }
      } finally {
        await channel.close();
      }
    }
    process.stdout.write(text);
  },
});

export default withHelp(describeCommand, callHelp("described", "reflection failed"));
