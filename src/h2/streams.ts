// Stream states (RFC 9113 §5.1) as both ends keep them, without a record per closed stream. Streams are
// only opened by the client (odd ids, in increasing order: §5.1.1); neither end pushes, so even ids never
// leave "idle". Whichever side reads, an odd id above the highest one opened is idle, one at or below it
// is open (the side's map holds it) or closed, and frames on idle streams are connection errors.

/** Whether `id` is idle, given the highest stream id opened so far (0 before any). */
export function isIdle(id: number, highestOpened: number): boolean {
  return (id & 1) === 0 || id > highestOpened;
}
