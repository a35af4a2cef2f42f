// Colour only for a terminal: help and error lines piped to a file or another program carry no escape
// codes. NO_COLOR (no-color.org) turns colour off everywhere; FORCE_COLOR (other than "0") turns it on.

// biome-ignore lint/suspicious/noControlCharactersInRegex: ESC is what is being removed
const ANSI = /\u001b\[[0-9;]*m/g;

function colorWanted(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "") return env.FORCE_COLOR !== "0";
  return stream.isTTY === true;
}

/** The text as it should go to `stream`: escape codes removed unless colour is wanted there. */
export function forStream(text: string, stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): string {
  return colorWanted(stream, env) ? text : text.replace(ANSI, "");
}
