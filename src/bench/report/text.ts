// Moved to src/report/text.ts (issue 29); this re-export lasts until the tests move by area.
export * from "../../report/text.ts";
