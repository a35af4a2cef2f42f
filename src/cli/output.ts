// Where report, compare and bench's renderings go: stdout, or the file of -o (`-` is stdout too).
import { writeFileSync } from "node:fs";
import { CliError } from "./args.ts";

export function writeOutput(path: string | undefined, text: string, command: string): void {
  if (path === undefined || path === "-") {
    process.stdout.write(text);
    return;
  }
  try {
    writeFileSync(path, text);
  } catch (err) {
    throw new CliError(`${command}: cannot write ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, 1);
  }
}
