// Moved to src/report/pacing.ts (issue 29); this re-export lasts until the tests move by area.
export * from "../report/pacing.ts";
