// Moved to src/report/rendered.ts (issue 29); this re-export lasts until the tests move by area.
export * from "../../report/rendered.ts";
