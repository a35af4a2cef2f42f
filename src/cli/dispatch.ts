// The command table and its dispatch: usage errors, --help, then the subcommand (src/main.ts hands over
// everything but --version). Only what parses the command line is imported here: each subcommand's code
// (and grpc-js, protobufjs, the crypto libraries behind it) loads when that subcommand runs, so `call echo`
// starts quickly (docs/performance.md, "Start-up").
import { type ArgsDef, type CommandDef, defineCommand, renderUsage, runCommand } from "citty";
import { nearest } from "../text/nearest.ts";
import { VERSION } from "../version.ts";
import { forStream } from "./color.ts";
import { failureExit } from "./fail.ts";
import { helpOf, renderHelp, USAGE_EXIT, withHelp, wrapHelp } from "./help.ts";
import { lazy } from "./lazy.ts";
import { flagProblem } from "./strict.ts";

const main = withHelp(
  defineCommand({
    meta: {
      name: "grpcperf",
      version: VERSION,
      description: "Serve, call and load-test gRPC over TCP, Unix sockets and VSOCK",
    },
    subCommands: {
      serve: lazy(() => import("./serve.ts")),
      call: lazy(() => import("./call/index.ts")),
      bench: lazy(() => import("./bench.ts")),
      compare: lazy(() => import("./compare.ts")),
      report: lazy(() => import("./report.ts")),
      version: lazy(() => import("./version.ts")),
    },
  }),
  {
    env: [["SERVER_ADDR", "serve's listen address, call's and bench's server (see each command's --help)"]],
    exits: [
      ["0", "success"],
      ["1", "failure: the call or run failed, or the server could not start or be reached"],
      USAGE_EXIT,
      ["3", "serve only: stopped, but calls were cut at the end of --grace"],
      ["99", "bench and report --threshold: the run completed, but a bar failed"],
    ],
  },
);

// The subcommand named before --help, so `grpcperf call echo --help` shows echo's flags.
// biome-ignore lint/suspicious/noExplicitAny: citty's command types are generic over their args
type AnyCommand = CommandDef<any>;
type Loadable<T> = T | (() => T | Promise<T>);
const loaded = async <T>(v: Loadable<T>): Promise<T> => (typeof v === "function" ? (v as () => T | Promise<T>)() : v);

/** Loads only the commands named on the way down, not their siblings. */
async function deepestCommand(root: AnyCommand, argv: string[]): Promise<[AnyCommand, AnyCommand | undefined, number]> {
  let cmd = root;
  let parent: AnyCommand | undefined;
  let at = 0;
  for (const word of argv) {
    if (word.startsWith("-")) break;
    const entry = (cmd.subCommands as Record<string, Loadable<AnyCommand>> | undefined)?.[word];
    if (entry === undefined) break;
    parent = cmd;
    cmd = await loaded(entry);
    at++;
  }
  return [cmd, parent, at];
}

/** An unknown subcommand or flag, as one line naming the nearest known one; undefined when all is known. */
async function usageProblem(argv: string[]): Promise<string | undefined> {
  const [cmd, , at] = await deepestCommand(main, argv);
  const path = ["grpcperf", ...argv.slice(0, at)].join(" ");
  const subs = cmd.subCommands as Record<string, unknown> | undefined;
  const word = argv[at];
  if (subs !== undefined) {
    const names = Object.keys(subs);
    if (word === undefined || word.startsWith("-")) return `${path}: name a command first (${names.join(", ")})`;
    const near = nearest(word, names);
    return `${path}: unknown command "${word}"${near === undefined ? "" : ` (did you mean ${near}?)`}`;
  }
  const problem = flagProblem(cmd.args as ArgsDef | undefined, argv.slice(at), helpOf(cmd)?.foreign);
  return problem === undefined ? undefined : `${path}: ${problem}`;
}

export async function run(given: string[]): Promise<number> {
  const argv = given[0] === "call" ? await (await import("./call/index.ts")).routeMethodCall(given) : given;
  if (argv.includes("--help") || argv.includes("-h") || argv.length === 0) {
    const [cmd, parent] = await deepestCommand(main, argv);
    const help = helpOf(cmd);
    const usage = (await renderUsage(cmd, parent)).trimEnd();
    const text = help === undefined ? `${usage}\n` : `${usage}\n\n${renderHelp(help)}`;
    // synchronous, as results are (src/sink.ts): help into a full disk or a closed pipe is one line and exit 1,
    // not a silent exit 0; loaded here so no other command pays for it before it needs it
    const { writeFd } = await import("../sink.ts");
    const error = writeFd(1, forStream(wrapHelp(text, process.stdout.columns), process.stdout));
    if (error !== undefined) {
      process.stderr.write(`grpcperf: cannot write the help to stdout (${error})\n`);
      return 1;
    }
    return argv.length === 0 ? 2 : 0;
  }
  const problem = await usageProblem(argv);
  if (problem !== undefined) {
    process.stderr.write(`${problem} (see --help)\n`);
    return 2;
  }
  try {
    await runCommand(main, { rawArgs: argv });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    return failureExit(err);
  }
}
