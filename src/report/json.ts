// The machine-readable report: one JSON document, the BenchReport as it stands.
import type { BenchReport } from "./types.ts";

export function formatJson(r: BenchReport): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}
