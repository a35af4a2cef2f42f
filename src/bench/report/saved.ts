// Moved to src/report/saved.ts (issue 29); this re-export lasts until the tests move by area.
export * from "../../report/saved.ts";
