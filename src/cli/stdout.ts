// Results on stdout without touching process.stdout: Bun builds that Node stream (node:fs and the streams
// modules) on first use, which costs more than all the rest of `grpcperf --version` (docs/performance.md,
// "Start-up"). console.log writes to fd 1 synchronously, is flushed before process.exit, prints a lone
// string as it is (no %s formatting) and survives a closed pipe.

/** Writes `text` (one or more lines; a final newline is optional) to stdout, ending with a newline. */
export function printLines(text: string): void {
  console.log(text.endsWith("\n") ? text.slice(0, -1) : text);
}
