// Moved to src/report/csv.ts (issue 29); this re-export lasts until the tests move by area.
export * from "../../report/csv.ts";
