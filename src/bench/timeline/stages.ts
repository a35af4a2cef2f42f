// Moved to src/report/stages.ts (issue 29); this re-export lasts until the tests move by area.
export * from "../../report/stages.ts";
