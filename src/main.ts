#!/usr/bin/env bun
// grpcperf: serve, call and load-test gRPC over TCP, Unix sockets and VSOCK.
import { type ArgsDef, type CommandDef, defineCommand, renderUsage, runCommand } from "citty";
import { CliError } from "./cli/args.ts";
import bench from "./cli/bench.ts";
import call, { routeMethodCall } from "./cli/call/index.ts";
import { forStream } from "./cli/color.ts";
import compare from "./cli/compare.ts";
import { helpOf, renderHelp, USAGE_EXIT, withHelp, wrapHelp } from "./cli/help.ts";
import report from "./cli/report.ts";
import serve from "./cli/serve.ts";
import { flagProblem } from "./cli/strict.ts";
import { log } from "./log.ts";
import { nearest } from "./text/nearest.ts";
import { VERSION, versionLine } from "./version.ts";

const main = withHelp(
  defineCommand({
    meta: {
      name: "grpcperf",
      version: VERSION,
      description: "Serve, call and load-test gRPC over TCP, Unix sockets and VSOCK",
    },
    subCommands: { serve, call, bench, compare, report },
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
function deepestCommand(root: AnyCommand, argv: string[]): [AnyCommand, AnyCommand | undefined, number] {
  let cmd = root;
  let parent: AnyCommand | undefined;
  let at = 0;
  for (const word of argv) {
    if (word.startsWith("-")) break;
    const next = (cmd.subCommands as Record<string, AnyCommand> | undefined)?.[word];
    if (!next) break;
    parent = cmd;
    cmd = next;
    at++;
  }
  return [cmd, parent, at];
}

/** An unknown subcommand or flag, as one line naming the nearest known one; undefined when all is known. */
function usageProblem(argv: string[]): string | undefined {
  const [cmd, , at] = deepestCommand(main, argv);
  const path = ["grpcperf", ...argv.slice(0, at)].join(" ");
  const subs = cmd.subCommands as Record<string, AnyCommand> | undefined;
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

async function run(given: string[]): Promise<number> {
  const argv = routeMethodCall(given);
  if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-v")) {
    process.stdout.write(`${versionLine()}\n`);
    return 0;
  }
  if (argv.includes("--help") || argv.includes("-h") || argv.length === 0) {
    const [cmd, parent] = deepestCommand(main, argv);
    const help = helpOf(cmd);
    const usage = (await renderUsage(cmd, parent)).trimEnd();
    const text = help === undefined ? `${usage}\n` : `${usage}\n\n${renderHelp(help)}`;
    process.stdout.write(forStream(wrapHelp(text, process.stdout.columns), process.stdout));
    return argv.length === 0 ? 2 : 0;
  }
  const problem = usageProblem(argv);
  if (problem !== undefined) {
    process.stderr.write(`${problem} (see --help)\n`);
    return 2;
  }
  try {
    await runCommand(main, { rawArgs: argv });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
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
    log.debug(err);
    return 1;
  }
}

// No top-level await: bytecode compilation needs a CommonJS-shaped entry point.
run(process.argv.slice(2)).then((code) => process.exit(code));
