// A command's error as one line on stderr and its exit code: for the command table (./dispatch.ts) and for
// `call echo`'s quick path (./call/echo-quick.ts), which must end the same way.
import { forStream } from "./color.ts";

export async function failureExit(err: unknown): Promise<number> {
  // loaded by now: every command reports its errors through it
  const { CliError } = await import("./args.ts");
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
  (await import("../log.ts")).log.debug(err);
  return 1;
}
