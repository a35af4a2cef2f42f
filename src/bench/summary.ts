// Moved to src/report/summary.ts (issue 29); this re-export lasts until the tests move by area.
export * from "../report/summary.ts";
