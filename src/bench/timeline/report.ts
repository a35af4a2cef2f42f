// Moved to src/report/timeline.ts (issue 29); this re-export lasts until the tests move by area.
export * from "../../report/timeline.ts";
