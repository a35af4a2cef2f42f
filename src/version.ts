import { dirname } from "node:path";
import pkg from "../package.json" with { type: "json" };

// Set by `bun build --define` for release binaries; absent when run from source.
declare const GRPCPERF_COMMIT: string | undefined;

export const VERSION: string = pkg.version;

export function commit(): string {
  if (typeof GRPCPERF_COMMIT === "string") return GRPCPERF_COMMIT;
  const git = Bun.spawnSync(["git", "rev-parse", "--short=12", "HEAD"], { cwd: dirname(Bun.main), stderr: "ignore" });
  const sha = git.success ? git.stdout.toString().trim() : "";
  return sha ? `${sha}-dev` : "unknown";
}

export function versionLine(): string {
  return `grpcperf ${VERSION} (${commit()})`;
}
