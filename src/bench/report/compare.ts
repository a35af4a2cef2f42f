// Moved to src/report/compare.ts (issue 29); this re-export lasts until the tests move by area.
export * from "../../report/compare.ts";
