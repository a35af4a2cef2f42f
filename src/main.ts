#!/usr/bin/env bun
// grpcperf: serve, call and load-test gRPC over TCP, Unix sockets and VSOCK.
// The entry answers --version (health checks and guest scripts run it often) before anything else loads,
// and runs a plain `call echo` line without the command table; the table and every subcommand load only
// when asked for (src/cli/dispatch.ts).
import { printLines } from "./cli/stdout.ts";
import { versionJson, versionLine } from "./version.ts";

const isVersionFlag = (word: string | undefined) => word === "--version" || word === "-v";

async function main(argv: string[]): Promise<number> {
  if (argv.length === 1 && isVersionFlag(argv[0])) {
    return (await printLines(versionLine())) ? 0 : 1;
  }
  if (argv.length === 2 && argv.includes("--json") && argv.some(isVersionFlag)) {
    return (await printLines(versionJson())) ? 0 : 1;
  }
  if (argv[0] === "call" && argv[1] === "echo") {
    // a plain `call echo` line runs without the command table (src/cli/call/echo-quick.ts)
    const code = await (await import("./cli/call/echo-quick.ts")).runEchoQuick(argv.slice(2));
    if (code !== undefined) return code;
  }
  return (await import("./cli/dispatch.ts")).run(argv);
}

// No top-level await: bytecode compilation needs a CommonJS-shaped entry point.
main(process.argv.slice(2)).then((code) => process.exit(code));
