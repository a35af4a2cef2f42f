// Moved to src/report/markdown.ts (issue 29); this re-export lasts until the tests move by area.
export * from "../../report/markdown.ts";
