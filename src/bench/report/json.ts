// Moved to src/report/json.ts (issue 29); this re-export lasts until the tests move by area.
export * from "../../report/json.ts";
