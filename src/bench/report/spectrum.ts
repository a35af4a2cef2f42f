// Moved to src/report/spectrum.ts (issue 29); this re-export lasts until the tests move by area.
export * from "../../report/spectrum.ts";
