// Moved to src/report/find-max/report.ts (issue 29); this re-export lasts until the tests move by area.
export * from "../../report/find-max/report.ts";
