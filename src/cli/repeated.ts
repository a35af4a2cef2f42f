// Flags that may be given more than once (-H, --proto, --import-path). citty keeps one value per flag, so
// these are read from the raw arguments, in order, in every spelling citty itself accepts.

/** Every value of the flag, in order: `--name v`, `--name=v`, and `-x v` / `-xv` for each short alias. */
export function repeated(rawArgs: readonly string[], long: string, short?: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < rawArgs.length; i++) {
    const t = rawArgs[i] as string;
    if (t === "--") break;
    if (t === `--${long}` || (short !== undefined && t === `-${short}`)) {
      const v = rawArgs[i + 1];
      if (v !== undefined) out.push(v);
      i++;
    } else if (t.startsWith(`--${long}=`)) out.push(t.slice(long.length + 3));
    else if (short !== undefined && t.length > 2 && t.startsWith(`-${short}`) && !t.startsWith("--")) {
      out.push(t.slice(2));
    }
  }
  return out;
}
