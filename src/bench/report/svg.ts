// Moved to src/report/svg.ts (issue 29); this re-export lasts until the tests move by area.
export * from "../../report/svg.ts";
