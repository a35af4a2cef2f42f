// Several JSON values in a row, as grpcurl's -d takes the messages of a client stream: `{"a":1} {"a":2}`,
// one per line or all on one. Each value is cut out by a scan that tracks strings and nesting, then parsed
// by JSON.parse, so the JSON rules are the platform's and only the cutting is done here.

type Sequence = { ok: true; values: unknown[] } | { ok: false; error: string };

/** Line and column (1-based) of offset `at` in `text`. */
function position(text: string, at: number): string {
  let line = 1;
  let col = 1;
  for (let i = 0; i < at && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      col = 1;
    } else col++;
  }
  return `line ${line}, column ${col}`;
}

const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 13;

/** Where the value starting at `from` ends (exclusive); -1 if the text ends first. */
function valueEnd(text: string, from: number): number {
  const first = text.charCodeAt(from);
  if (first !== 123 && first !== 91 && first !== 34) {
    // A bare number, true, false or null: up to the next space or bracket.
    let i = from;
    while (i < text.length && !isSpace(text.charCodeAt(i)) && !"{[".includes(text.charAt(i))) i++;
    return i;
  }
  let depth = 0;
  let inString = false;
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) {
        inString = false;
        if (depth === 0) return i + 1;
      }
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) depth++;
    else if (c === 125 || c === 93) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

/** The JSON values in `text`, in order; an error names where the bad one starts. Empty text: none. */
export function parseJsonSequence(text: string): Sequence {
  const values: unknown[] = [];
  let i = 0;
  for (;;) {
    while (i < text.length && isSpace(text.charCodeAt(i))) i++;
    if (i >= text.length) return { ok: true, values };
    const end = valueEnd(text, i);
    if (end < 0) return { ok: false, error: `JSON at ${position(text, i)}: the text ends inside this value` };
    try {
      values.push(JSON.parse(text.slice(i, end)));
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      return { ok: false, error: `JSON at ${position(text, i)}: ${why}` };
    }
    i = end;
  }
}
