// Wall-clock time in Unix nanoseconds with the resolution of the monotonic clock.
// Date.now() alone has millisecond resolution, too coarse for a loopback round trip.
import Long from "long";

const origin = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

export function unixNanos(): bigint {
  return origin + process.hrtime.bigint();
}

/** protobufjs encodes 64-bit fields from Long (or anything with low/high bits). */
export function toLong(n: bigint, unsigned = false): Long {
  return Long.fromBigInt(n, unsigned);
}

export function fromLong(v: number | Long | null | undefined): bigint {
  if (v == null) return 0n;
  if (typeof v === "number") return BigInt(v);
  return v.toBigInt();
}
