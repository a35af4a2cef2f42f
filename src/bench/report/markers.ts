// Moved to src/report/markers.ts (issue 29); this re-export lasts until the tests move by area.
export * from "../../report/markers.ts";
