// Moved to src/report/types.ts (issue 29); this re-export lasts until the tests move by area.
export * from "../../report/types.ts";
