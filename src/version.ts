// What this binary is: set by `bun build --define` (scripts/build.sh, scripts/release.ts). Nothing here spawns
// a process or reads a file at run time: `--version` runs in health checks and guest scripts, where git may be
// absent and a compiled binary's own directory ($bunfs) does not exist on disk.
import { version } from "../package.json" with { type: "json" };

declare const GRPCPERF_COMMIT: string | undefined;
/** The release target, e.g. "linux-arm64" or "linux-x64-musl" (the file name's suffix). */
declare const GRPCPERF_TARGET: string | undefined;
/** The C library the Bun runtime inside this binary was linked against: "glibc" or "musl". */
declare const GRPCPERF_LIBC: string | undefined;

export const VERSION: string = version;

interface VersionInfo {
  readonly version: string;
  /** The git commit it was built from ("-dirty" with uncommitted changes); "source" when run by `bun src/main.ts`. */
  readonly commit: string;
  readonly target: string;
  readonly libc: string;
  /** The version of the Bun runtime it runs on: bytecode only loads on the engine it was made by. */
  readonly bun: string;
}

export function commit(): string {
  return typeof GRPCPERF_COMMIT === "string" ? GRPCPERF_COMMIT : "source";
}

/** From source, the runtime running it; Node's report header names glibc's version and is empty on musl. */
function hostLibc(): string {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return header?.glibcVersionRuntime === undefined ? "musl" : "glibc";
}

function versionInfo(): VersionInfo {
  return {
    version: VERSION,
    commit: commit(),
    target: typeof GRPCPERF_TARGET === "string" ? GRPCPERF_TARGET : `${process.platform}-${process.arch}`,
    libc: typeof GRPCPERF_LIBC === "string" ? GRPCPERF_LIBC : hostLibc(),
    bun: Bun.version,
  };
}

/** `grpcperf --version`: one line, as scripts grep it. */
export function versionLine(): string {
  return `grpcperf ${VERSION} (${commit()})`;
}

/** `grpcperf version --json` and `--version --json`: one JSON object on one line. */
export function versionJson(): string {
  return `${JSON.stringify(versionInfo())}\n`;
}

/** `grpcperf version`: the name and version, then one field a line. */
export function versionText(info: VersionInfo = versionInfo()): string {
  const rows = [
    ["commit", info.commit],
    ["target", info.target],
    ["libc", info.libc],
    ["bun", info.bun],
  ];
  return `grpcperf ${info.version}\n${rows.map(([k, v]) => `${k?.padEnd(8)}${v}`).join("\n")}\n`;
}
