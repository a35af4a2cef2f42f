// What citty's usage text cannot say: each command's environment variables, its exit codes, and the
// spellings grpcurl and ghz users reach for. Kept beside each command's definition, looked up by main.ts.

/** Rows of [name, meaning]. */
type Rows = ReadonlyArray<readonly [string, string]>;

export interface Help {
  /** Environment variables, with the flag each stands for. */
  readonly env: Rows;
  /** How a flag and its variable combine, when it is more than "the flag wins". */
  readonly precedence?: string;
  readonly exits: Rows;
  /**
   * Flags of other tools this command does not take, each with a pointer to grpcperf's spelling. Spellings
   * it does take are plain aliases in the command's args.
   */
  readonly foreign?: Readonly<Record<string, string>>;
}

const helps = new WeakMap<object, Help>();

/** The command, with its help notes registered. */
export function withHelp<T extends object>(command: T, help: Help): T {
  helps.set(command, help);
  return command;
}

export function helpOf(command: object): Help | undefined {
  return helps.get(command);
}

/** Exit code 2, the same for every command: nothing ran (main.ts refuses unknown flags and commands). */
export const USAGE_EXIT = ["2", "usage error: a bad flag, command or environment value"] as const;

/** Variables every command reads. */
const COMMON_ENV: Rows = [
  ["LOG_LEVEL", "trace, debug, info, warn, error (--log-level)"],
  ["RUST_LOG", "the replaced system's spelling of LOG_LEVEL; the most verbose level named wins"],
  ["NO_COLOR", "no escape codes in help and errors (there are none off a terminal anyway)"],
  ["FORCE_COLOR", "escape codes even off a terminal (0: none); NO_COLOR wins"],
];

const heading = (s: string) => `\u001b[4m\u001b[1m${s}\u001b[22m\u001b[24m`;

function table(rows: Rows): string {
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join("\n");
}

/** The sections to print after citty's usage text (with escape codes: the caller strips them off a TTY). */
export function renderHelp(help: Help): string {
  const precedence = help.precedence ?? "a flag wins over its variable";
  const parts = [
    `${heading("ENVIRONMENT")} (${precedence})\n\n${table([...help.env, ...COMMON_ENV])}`,
    `${heading("EXIT CODES")}\n\n${table(help.exits)}`,
  ];
  return `${parts.join("\n\n")}\n`;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: escape codes are what is measured around
const ESCAPES = /\u001b\[[0-9;]*m/g;
const visible = (s: string) => s.replace(ESCAPES, "").length;

/** Words of `text` in lines of at most `width` visible characters (a longer word stands alone). */
function fill(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/ +/)) {
    if (line !== "" && visible(line) + 1 + visible(word) > width) {
      lines.push(line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  if (line !== "") lines.push(line);
  return lines;
}

/**
 * Help text fitted to a terminal `columns` wide. A row of two columns (a flag and its meaning, citty's
 * right-aligned usage or the tables above) that does not fit becomes the flag on its own line and the
 * meaning below it, indented and wrapped; other long lines wrap under their own indent. Trailing padding goes.
 */
export function wrapHelp(text: string, columns: number | undefined): string {
  if (columns === undefined || columns < 20) return text;
  return text
    .split("\n")
    .flatMap((raw) => {
      const line = raw.trimEnd();
      if (visible(line) <= columns) return [line];
      const row = /^(\s*)(\S.*?\S|\S)( {2,})(\S.*)$/.exec(line);
      if (row) {
        const [, , key, , meaning] = row as unknown as [string, string, string, string, string];
        return [`  ${key}`, ...fill(meaning, columns - 6).map((l) => `      ${l}`)];
      }
      const indent = /^\s*/.exec(line)?.[0] ?? "";
      return fill(line.trim(), columns - indent.length).map((l) => `${indent}${l}`);
    })
    .join("\n");
}
