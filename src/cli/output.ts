// Where report, compare, bench and call write: stdout, or the file of -o (`-` is stdout too). Writes are
// synchronous (src/sink.ts), so a full disk or a closed pipe is one line and exit 1, never a stack trace.
import { probeWritable, writeFd, writeText } from "../sink.ts";
import { CliError } from "./args.ts";

export function writeOutput(path: string | undefined, text: string, command: string): void {
  const error = writeText(path, text);
  if (error === undefined) return;
  const where = path === undefined || path === "-" ? "stdout" : path;
  throw new CliError(`${command}: cannot write ${where} (${error})`, 1);
}

/** A result line (or lines) on stdout. */
export function out(text: string): void {
  const error = writeFd(1, text);
  if (error !== undefined) throw new CliError(`cannot write to stdout (${error})`, 1);
}

/** Refuses (exit 2) an output file that cannot be written, before any call is made. */
export function checkWritable(path: string | undefined, flag: string): void {
  if (path === undefined || path === "-") return;
  const error = probeWritable(path);
  if (error !== undefined) throw new CliError(`${flag} ${path}: cannot write there (${error})`, 2);
}
