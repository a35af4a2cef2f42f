// The compiled binary on a pseudo-terminal, as a user runs it: its live progress line is there to wait on
// (bench draws it only on a terminal), and Ctrl-C is the ^C byte that the terminal turns into SIGINT.
import { requireBinary } from "./helpers.ts";

export interface OnTerminal {
  /** Resolves with the first match of `pattern` in what the terminal has shown so far or shows next. */
  waitFor(pattern: RegExp): Promise<RegExpExecArray>;
  /** Types Ctrl-C. */
  ctrlC(): void;
  /** The exit code, once the process has ended. */
  readonly exited: Promise<number>;
  readonly pid: number;
}

export function onTerminal(args: readonly string[], opts: { cwd?: string; env?: Record<string, string> } = {}) {
  let shown = "";
  const waiters: Array<() => void> = [];
  const proc = Bun.spawn([requireBinary(), ...args], {
    cwd: opts.cwd,
    env: opts.env,
    terminal: {
      cols: 200,
      data(_t, data) {
        shown += Buffer.from(data).toString("utf8");
        for (const w of waiters.splice(0)) w();
      },
    },
  });
  let ended = false;
  const exited = proc.exited.then((code) => {
    ended = true;
    for (const w of waiters.splice(0)) w();
    proc.terminal?.close();
    return code;
  });
  const t: OnTerminal = {
    async waitFor(pattern) {
      for (;;) {
        const m = new RegExp(pattern.source, pattern.flags.replace("g", "")).exec(shown);
        if (m) return m;
        if (ended) throw new Error(`exited before ${pattern} showed; the terminal had:\n${shown}`);
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
    ctrlC: () => proc.terminal?.write("\x03"),
    exited,
    pid: proc.pid,
  };
  return t;
}
