// Logging: consola, one line per event on stderr (stdout is for results), level from --log-level,
// LOG_LEVEL or RUST_LOG (the replaced system's variable, e.g. "info" or "server=debug,h2=warn").
// consola/core: the logger without its default instance, fancy reporter and std-env probing (none used here;
// they cost a few milliseconds at every start and read DEBUG, CI and CONSOLA_LEVEL from the environment).
import { type ConsolaInstance, createConsola, type LogObject } from "consola/core";

export const LEVELS = { silent: -999, error: 0, warn: 1, info: 3, debug: 4, trace: 5 } as const;
export type LevelName = keyof typeof LEVELS;

function isLevel(s: string): s is LevelName {
  return Object.hasOwn(LEVELS, s);
}

/** Picks a level from a value such as "debug", "WARN" or a RUST_LOG directive list; the most verbose wins. */
export function parseLevel(value: string | undefined): LevelName | undefined {
  if (!value) return undefined;
  let best: LevelName | undefined;
  for (const part of value.toLowerCase().split(",")) {
    const name = (part.includes("=") ? part.slice(part.indexOf("=") + 1) : part).trim();
    const level = name === "off" ? "silent" : name;
    if (isLevel(level) && (best === undefined || LEVELS[level] > LEVELS[best])) best = level;
  }
  return best;
}

const tags: Record<number, string> = { 0: "ERROR", 1: "WARN ", 2: "INFO ", 3: "INFO ", 4: "DEBUG", 5: "TRACE" };

function format(arg: unknown): string {
  if (arg instanceof Error) return arg.stack ?? arg.message;
  if (typeof arg === "string") return arg;
  try {
    return JSON.stringify(arg);
  } catch {
    return String(arg);
  }
}

/** Names the server thread a line comes from ("worker 2: "), so per-thread lines can be told apart. */
let origin = "";

export function setLogOrigin(name: string): void {
  origin = name === "" ? "" : `${name}: `;
}

const reporter = {
  log(o: LogObject) {
    const text = o.args.map(format).join(" ");
    process.stderr.write(`${o.date.toISOString()} ${tags[o.level] ?? "INFO "} ${origin}${text}\n`);
  },
};

let level: number = LEVELS.info;
let instance: ConsolaInstance | undefined;
// Made on the first line logged: building a Consola costs a few ms that `call echo`, which logs nothing,
// would pay at every start (docs/performance.md, "Start-up").
const logger = (): ConsolaInstance => {
  instance ??= createConsola({ level, reporters: [reporter] });
  return instance;
};

/** The process's logger: consola's level filter and the one-line reporter above. */
export const log = {
  get level(): number {
    return level;
  },
  error: (message: unknown, ...args: unknown[]): void => logger().error(message, ...args),
  warn: (message: unknown, ...args: unknown[]): void => logger().warn(message, ...args),
  info: (message: unknown, ...args: unknown[]): void => logger().info(message, ...args),
  debug: (message: unknown, ...args: unknown[]): void => logger().debug(message, ...args),
  trace: (message: unknown, ...args: unknown[]): void => logger().trace(message, ...args),
};

export function setLogLevel(name: LevelName): void {
  level = LEVELS[name];
  if (instance !== undefined) instance.level = level;
}

/** Flag beats LOG_LEVEL beats RUST_LOG; an unknown value is an error, not a silent default. */
export function resolveLogLevel(
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
): { ok: true; level: LevelName } | { ok: false; error: string } {
  const raw = flag ?? env.LOG_LEVEL ?? env.RUST_LOG;
  if (raw === undefined || raw === "") return { ok: true, level: "info" };
  const level = parseLevel(raw);
  return level
    ? { ok: true, level }
    : { ok: false, error: `unknown log level "${raw}" (use trace, debug, info, warn or error)` };
}
