// The live line on stderr while a run goes on; only when stderr is a terminal, so logs and CI stay clean.
import type { Progress } from "./coordinator.ts";

export function progressLine(p: Progress): string {
  const rate = p.elapsedSec > 0 ? p.completed / p.elapsedSec : 0;
  const p99 = p.p99Us === undefined ? "-" : `${p.p99Us} μs`;
  return `${p.elapsedSec.toFixed(1)}s  ${p.completed} calls  ${rate.toFixed(0)}/s  p99 ${p99}  errors ${p.failed}`;
}

/** Writes each line over the previous one; clear() leaves the terminal as it found it. */
export function terminalProgress(stream: NodeJS.WriteStream): { show(p: Progress): void; clear(): void } {
  let shown = false;
  return {
    show(p) {
      stream.write(`\r\x1b[2K${progressLine(p)}`);
      shown = true;
    },
    clear() {
      if (shown) stream.write("\r\x1b[2K");
    },
  };
}
