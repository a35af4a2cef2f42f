// The marks the loader is judged by: when a send counts as late, a gap in its event loop as a stall, and a
// thread as saturated. The runner records by the first two and the report states and judges by all three,
// so they are defined here, once, where both can read them (the report never imports the runner).

/** A send later than this after its due time counts as late: timers in JS fire up to ~1 ms late. */
export const LATE_AFTER_MS = 2;

/** A gap in the event loop longer than this is a stall of the loader. */
export const STALL_MS = 1;

/** A thread busy this share of its wall time had no headroom left. */
export const SATURATED_AT = 0.9;
