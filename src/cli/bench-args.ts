// citty's args and the help's ENVIRONMENT rows of `bench`, made from the one flag table (bench/flags.ts).
import { BENCH_FLAGS, type BenchFlagName, describeFlag, type FlagSpec } from "../bench/flags.ts";
import { logLevelArg } from "./args.ts";
import { tlsClientArgs } from "./call/common.ts";
import type { Help } from "./help.ts";

type CittyArgs = {
  readonly [K in BenchFlagName]: {
    readonly type: (typeof BENCH_FLAGS)[K]["type"];
    readonly alias?: string;
    readonly description: string;
  };
};

const entries = Object.entries(BENCH_FLAGS) as [BenchFlagName, FlagSpec][];

function tableArgs(): CittyArgs {
  const args: Record<string, unknown> = {};
  for (const [name, spec] of entries) {
    args[name] = { type: spec.type, ...(spec.alias ? { alias: spec.alias } : {}), description: describeFlag(spec) };
  }
  return args as CittyArgs;
}

/** Every flag of bench: the table's, then the TLS flags and --log-level it shares with `call`. */
export const benchArgs = { ...tableArgs(), ...tlsClientArgs, ...logLevelArg } as const;

/** The help's ENVIRONMENT rows: each variable of the table with the flag it stands for. */
export const benchEnvRows: Help["env"] = entries.flatMap(([name, spec]) =>
  spec.env ? [[spec.env.join(", "), `${spec.envHelp ?? spec.help} (--${name})`] as const] : [],
);
