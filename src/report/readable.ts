// Figures as a reader takes them in at a glance: "1.23 ms", "15.6 GiB", "12,346". The HTML page shows these
// and keeps the exact JSON figure beside them (data-value), so a reader or a test can still match the file.

/** Three significant figures, without a trailing ".0" ("1.5", "123", "0.25"). */
const sig3 = (v: number) => String(Number(v.toPrecision(3)));

/** Microseconds as µs, ms or s, whichever keeps the number between 1 and 1000. */
export function readableMicros(us: number): string {
  const a = Math.abs(us);
  if (a >= 1e6) return `${sig3(us / 1e6)} s`;
  if (a >= 1000) return `${sig3(us / 1000)} ms`;
  return `${sig3(us)} µs`;
}

const BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB"] as const;

/** Bytes in binary units (a MiB is 1024 KiB, as --payload-size and the message limits count). */
export function readableBytes(bytes: number): string {
  let v = bytes;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < BYTE_UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? String(v) : sig3(v)} ${BYTE_UNITS[u]}`;
}

/** A count or rate: whole above 100 with thousands grouped, else three significant figures. */
export function readableCount(n: number): string {
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString("en-US");
  return sig3(n);
}
