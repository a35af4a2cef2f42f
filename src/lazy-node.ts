// node:fs, node:os and node:path on first use, for modules on `call echo`'s path that need them only on some
// branches (a PEM file named by a flag, a result written synchronously, a report saved aside). A compiled
// binary evaluates a built-in when a module importing it loads, ~3 ms for node:fs; `call echo` prints with
// Bun.write and reads no file (docs/performance.md, "Start-up"). require() of a built-in is synchronous, so
// these callers stay synchronous (a full disk is an error value at the write, src/sink.ts).
type Fs = typeof import("node:fs");
type Os = typeof import("node:os");
type Path = typeof import("node:path");

export const nodeFs = (): Fs => require("node:fs") as Fs;
export const nodeOs = (): Os => require("node:os") as Os;
export const nodePath = (): Path => require("node:path") as Path;
