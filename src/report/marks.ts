// The marks the report judges the loader by, apart from the code that measures it: a load thread busy this
// share of its wall time had no headroom left, so its figures may measure the loader, not the server.

/** A thread busy this share of its wall time had no headroom left. */
export const SATURATED_AT = 0.9;
