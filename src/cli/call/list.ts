// `grpcperf call list [SERVICE]`: the services a server (or the --proto/--protoset files) offer, or the
// methods of one, a name per line as grpcurl lists them.
import { defineCommand } from "citty";
import type protobuf from "protobufjs";
import { listServices } from "../../schema/lookup.ts";
import { nearest } from "../../text/nearest.ts";
import { CliError } from "../args.ts";
import { withHelp } from "../help.ts";
import { out } from "../output.ts";
import { splitTarget } from "../target.ts";
import { callArgs, callHelp } from "./common.ts";
import { fromSchema, schemaArgs } from "./schema-args.ts";

const full = (o: protobuf.ReflectionObject) => o.fullName.replace(/^\./, "");

/** The lines to print: service names, or `pkg.Service.Method` for each method of `service`. */
export function listing(root: protobuf.Root, service: string | undefined): string[] {
  const services = listServices(root);
  if (service === undefined) return services.map(full).sort();
  const s = services.find((x) => full(x) === service.replace(/^\./, ""));
  if (s === undefined) {
    const near = nearest(service, services.map(full));
    throw new CliError(`unknown service ${service}${near === undefined ? "" : ` (did you mean ${near}?)`}`, 2);
  }
  return s.methodsArray.map((m) => `${full(s)}.${m.name}`);
}

const listCommand = defineCommand({
  meta: { name: "list", description: "List the services, or the methods of one service" },
  args: {
    service: { type: "positional", required: false, description: "a service's full name: list its methods" },
    ...schemaArgs,
    ...callArgs,
  },
  async run({ args: given, rawArgs }) {
    const split = splitTarget(given.server, given._, 1);
    const args = { ...given, service: split.rest[0], server: split.server, _: [] };
    const lines = await fromSchema(
      args,
      rawArgs,
      (root) => listing(root, args.service),
      async (session) => {
        if (args.service === undefined) return session.services().sort();
        const known = session.services();
        if (!known.includes(args.service)) {
          const near = nearest(args.service, known);
          throw new CliError(
            `unknown service ${args.service}${near === undefined ? "" : ` (did you mean ${near}?)`}`,
            2,
          );
        }
        const r = await session.root([args.service]);
        if (!r.ok) throw new CliError(r.error, 1);
        return listing(r.root, args.service);
      },
    );
    out(args.json ? `${JSON.stringify(lines)}\n` : lines.map((l) => `${l}\n`).join(""));
  },
});

export default withHelp(listCommand, callHelp("listed", "reflection failed"));
