// Moved to src/report/merge.ts (issue 29); this re-export lasts until the tests move by area.
export * from "../../report/merge.ts";
