// Spare output slabs of this thread's connections (../writer.ts): a slab the socket has called back every
// write of, and that its writer no longer builds in, waits here for the next writer that needs one, rather
// than going to the collector while another connection allocates a fresh one (with 64 KiB requests that
// churn was most of the loader's cost). Bounded: at most MAX_SPARES slabs of at most 256 KiB per thread,
// whatever the number of connections.

const MAX_SPARES = 8;
const spares: Buffer[] = [];

/** A slab of at least n bytes: a spare if one is large enough, else a new one of `size` (≥ n). */
export function takeSlab(n: number, size: number): Buffer {
  for (let i = spares.length - 1; i >= 0; i--) {
    const s = spares[i] as Buffer;
    if (s.length >= n) {
      spares[i] = spares[spares.length - 1] as Buffer;
      spares.pop();
      return s;
    }
  }
  return Buffer.allocUnsafe(size);
}

/** A slab nothing refers to any more (no write in flight, no view queued). */
export function giveSlab(slab: Buffer): void {
  if (spares.length < MAX_SPARES) spares.push(slab);
}
