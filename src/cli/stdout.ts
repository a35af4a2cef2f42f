// Results on stdout without touching process.stdout or node:fs: Bun builds the Node stream (node:fs and the
// streams modules) on first use, and node:fs alone adds ~6 ms to `grpcperf --version`, more than all the
// rest of it (docs/performance.md, "Start-up"). Bun.write to Bun.stdout costs nothing at start and, unlike
// console.log, reports a full disk or a closed pipe: one line on stderr and exit 1, as for every other
// result (src/sink.ts).

/** Writes all of `text` to stdout; the error code (ENOSPC, EPIPE…) if stdout would not take it. */
export async function writeStdout(text: string): Promise<string | undefined> {
  try {
    await Bun.write(Bun.stdout, text);
    return undefined;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? String(err);
  }
}

/** Writes `text` (one or more lines; a final newline is optional) to stdout, ending with a newline; false if
 * stdout would not take it (the error is then said on stderr). */
export async function printLines(text: string): Promise<boolean> {
  const code = await writeStdout(text.endsWith("\n") ? text : `${text}\n`);
  if (code === undefined) return true;
  console.error(`grpcperf: cannot write to stdout (${code})`);
  return false;
}
