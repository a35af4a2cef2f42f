// Where results are written: stdout or a file, synchronously, so a full disk or a closed pipe is an error
// value at the write (not an 'error' event after the process has decided its exit code, nor a stack trace),
// and a result that cannot be written where asked can still be saved elsewhere. The built-ins load on the first
// write (./lazy-node.ts): `call echo`, which prints with Bun.write, loads this module but never them.
import { nodeFs, nodeOs, nodePath } from "./lazy-node.ts";

const codeOf = (err: unknown) =>
  (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));

/** Writes all of `text` to a file descriptor; the error code (ENOSPC, EPIPE…) on failure. */
export function writeFd(fd: number, text: string): string | undefined {
  const bytes = Buffer.from(text);
  const { writeSync } = nodeFs();
  let at = 0;
  try {
    while (at < bytes.length) at += writeSync(fd, bytes, at);
  } catch (err) {
    return codeOf(err);
  }
  return undefined;
}

/** `text` to `path`, or to stdout when `path` is undefined or "-"; the error code on failure. */
export function writeText(path: string | undefined, text: string): string | undefined {
  if (path === undefined || path === "-") return writeFd(1, text);
  try {
    nodeFs().writeFileSync(path, text);
  } catch (err) {
    return codeOf(err);
  }
  return undefined;
}

/**
 * Whether `path` can be written, found by opening it for appending (which neither truncates nor, when the
 * file is new, leaves it behind): the error code if not. Run before a benchmark so a typo'd directory does
 * not cost the run.
 */
export function probeWritable(path: string): string | undefined {
  const { closeSync, openSync, unlinkSync } = nodeFs();
  let created = false;
  try {
    try {
      closeSync(openSync(path, "wx"));
      created = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      closeSync(openSync(path, "a"));
    }
  } catch (err) {
    return codeOf(err);
  }
  if (created) unlinkSync(path);
  return undefined;
}

/**
 * Saves `text` (a JSON report that could not be written where asked) in the working directory, else the
 * temporary directory, under a name that does not overwrite anything; the path, or undefined if neither took it.
 */
export function saveFallback(text: string, now: Date = new Date()): string | undefined {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  const { writeFileSync } = nodeFs();
  const { join } = nodePath();
  for (const dir of [process.cwd(), nodeOs().tmpdir()]) {
    for (let n = 0; n < 100; n++) {
      const path = join(dir, `grpcperf-report-${stamp}${n === 0 ? "" : `-${n}`}.json`);
      try {
        writeFileSync(path, text, { flag: "wx" });
        return path;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") break;
      }
    }
  }
  return undefined;
}
