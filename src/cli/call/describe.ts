// `grpcperf call describe [SYMBOL]`: a service, method, message or enum as proto source text, as grpcurl
// describes it; without a symbol, every service.
import { defineCommand } from "citty";
import type protobuf from "protobufjs";
import { serviceOf } from "../../client/schema.ts";
import type { Checked } from "../../schema/checked.ts";
import { describeSymbol } from "../../schema/describe.ts";
import { listServices } from "../../schema/lookup.ts";
import { nearest } from "../../text/nearest.ts";
import { CliError } from "../args.ts";
import { withHelp } from "../help.ts";
import { out } from "../output.ts";
import { splitTarget } from "../target.ts";
import { callArgs, callHelp } from "./common.ts";
import { fromSchema, schemaArgs } from "./schema-args.ts";

const full = (o: protobuf.ReflectionObject) => o.fullName.replace(/^\./, "");

/** Every name `describe` takes in a Root: packages' types, services and their methods, by full name. */
function namesIn(ns: protobuf.NamespaceBase, into: string[] = []): string[] {
  for (const o of ns.nestedArray) {
    // Types, enums and services; not the packages they sit in (a package prefixes every name).
    if ("fieldsArray" in o || "methodsArray" in o || "values" in o) into.push(full(o));
    if ("methodsArray" in o) for (const m of (o as protobuf.Service).methodsArray) into.push(full(m));
    if ("nestedArray" in o) namesIn(o as protobuf.NamespaceBase, into);
  }
  return into;
}

const didYouMean = (symbol: string, names: readonly string[]) => {
  // Longest first: on a tie, EchoReqest means EchoRequest more than its prefix Echo.
  const known = names.filter((n) => !n.startsWith("google.protobuf.")).sort((a, b) => b.length - a.length);
  const near = nearest(symbol.replace("/", "."), known);
  return near === undefined ? "" : ` (did you mean ${near}?)`;
};

function describeAll(root: protobuf.Root, symbols: readonly string[]): string {
  return symbols
    .map((s) => {
      const d = describeSymbol(root, s);
      if (!d.ok) throw new CliError(`${d.error}${didYouMean(s, namesIn(root))}`, 2);
      return `${s} is ${/^[aeiou]/.test(d.kind) ? "an" : "a"} ${d.kind}:\n${d.text}\n`;
    })
    .join("\n");
}

/** The Root reflection gives for a symbol: the file defining it, or else its parent's (a method, a field). */
async function reflectedRoot(
  root: (symbols: string[]) => Promise<Checked<{ root: protobuf.Root }>>,
  symbol: string,
  services: readonly string[],
): Promise<protobuf.Root> {
  const name = symbol.replace(/^\./, "").replace("/", ".");
  const first = await root([name]);
  if (first.ok) return first.root;
  const parent = serviceOf(name);
  if (parent !== "") {
    const second = await root([parent]);
    if (second.ok) return second.root;
  }
  const all = await root([...services]);
  throw new CliError(`${symbol}: ${first.error}${all.ok ? didYouMean(symbol, namesIn(all.root)) : ""}`, 2);
}

const describeCommand = defineCommand({
  meta: { name: "describe", description: "Show a service, method, message or enum as proto source" },
  args: {
    symbol: { type: "positional", required: false, description: "a full name, e.g. pkg.Service or pkg.Message" },
    ...schemaArgs,
    ...callArgs,
  },
  async run({ args: given, rawArgs }) {
    const split = splitTarget(given.server, given._, 1);
    const args = { ...given, symbol: split.rest[0], server: split.server, _: [] };
    const text = await fromSchema(
      args,
      rawArgs,
      (root) => describeAll(root, args.symbol === undefined ? listServices(root).map(full) : [args.symbol]),
      async (session) => {
        if (args.symbol !== undefined) {
          const root = await reflectedRoot((s) => session.root(s), args.symbol, session.services());
          return describeAll(root, [args.symbol]);
        }
        const names = session.services();
        const r = await session.root(names);
        if (!r.ok) throw new CliError(r.error, 1);
        return describeAll(r.root, names);
      },
    );
    out(text);
  },
});

export default withHelp(describeCommand, callHelp("described", "reflection failed"));
