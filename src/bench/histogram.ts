// Moved to src/report/histogram.ts (issue 29); this re-export lasts until the tests move by area.
export * from "../report/histogram.ts";
