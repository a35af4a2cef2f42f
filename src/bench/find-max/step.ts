// Moved to src/report/find-max/step.ts (issue 29); this re-export lasts until the tests move by area.
export * from "../../report/find-max/step.ts";
