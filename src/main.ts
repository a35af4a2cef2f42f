#!/usr/bin/env bun
// grpcperf: serve, call and load-test gRPC over TCP, Unix sockets and VSOCK.
// Only what parses the command line is imported here: each subcommand's code (and grpc-js, protobufjs, the
// crypto libraries behind it) loads when that subcommand runs, so `--version` and `call echo` start quickly
// (docs/performance.md, "Start-up").
import { type ArgsDef, type CommandDef, defineCommand, renderUsage, runCommand } from "citty";
import { forStream } from "./cli/color.ts";
import { helpOf, renderHelp, USAGE_EXIT, withHelp } from "./cli/help.ts";
import { lazy } from "./cli/lazy.ts";
import { flagProblem } from "./cli/strict.ts";
import { nearest } from "./text/nearest.ts";
import { VERSION, versionLine } from "./version.ts";

const main = withHelp(
  defineCommand({
    meta: { name: "grpcperf", version: VERSION, description: "Serve, call and load-test gRPC over TCP and VSOCK" },
    subCommands: {
      serve: lazy(() => import("./cli/serve.ts")),
      call: lazy(() => import("./cli/call/index.ts")),
      bench: lazy(() => import("./cli/bench.ts")),
      compare: lazy(() => import("./cli/compare.ts")),
      report: lazy(() => import("./cli/report.ts")),
      version: lazy(() => import("./cli/version.ts")),
    },
  }),
  {
    env: [["SERVER_ADDR", "serve's listen address, call's and bench's server (see each command's --help)"]],
    exits: [
      ["0", "success"],
      ["1", "failure: the call or run failed, or the server could not start or be reached"],
      USAGE_EXIT,
      ["3", "serve only: stopped, but calls were cut at the end of --grace"],
      ["99", "bench only: the run completed, but a --threshold failed"],
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

const isVersionFlag = (word: string | undefined) => word === "--version" || word === "-v";

async function run(given: string[]): Promise<number> {
  if (given.length === 1 && isVersionFlag(given[0])) {
    process.stdout.write(`${versionLine()}\n`);
    return 0;
  }
  if (given.length === 2 && given.includes("--json") && given.some(isVersionFlag)) {
    process.stdout.write((await import("./cli/version.ts")).versionJson());
    return 0;
  }
  const argv = given[0] === "call" ? (await import("./cli/call/index.ts")).routeMethodCall(given) : given;
  if (argv.includes("--help") || argv.includes("-h") || argv.length === 0) {
    const [cmd, parent] = await deepestCommand(main, argv);
    const help = helpOf(cmd);
    const usage = (await renderUsage(cmd, parent)).trimEnd();
    const text = help === undefined ? `${usage}\n` : `${usage}\n\n${renderHelp(help)}`;
    process.stdout.write(forStream(text, process.stdout));
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
    // loaded by now: every command reports its errors through it
    const { CliError } = await import("./cli/args.ts");
    if (err instanceof CliError) {
      process.stderr.write(`grpcperf: ${err.message}\n`);
      return err.exitCode;
    }
    // citty's own usage errors (unknown command, missing argument) are user errors too
    if (err instanceof Error && err.name === "CLIError") {
      process.stderr.write(forStream(`grpcperf: ${err.message} (see grpcperf --help)\n`, process.stderr));
      return 2;
    }
    process.stderr.write(`grpcperf: unexpected error: ${err instanceof Error ? err.message : String(err)}\n`);
    (await import("./log.ts")).log.debug(err);
    return 1;
  }
}

// No top-level await: bytecode compilation needs a CommonJS-shaped entry point.
run(process.argv.slice(2)).then((code) => process.exit(code));
