// Moved to src/report/readable.ts (issue 29); this re-export lasts until the tests move by area.
export * from "../../report/readable.ts";
