/** What every src/schema module returns at its border: a value, or one line saying what is wrong. */
export type Result<T> = ({ ok: true } & T) | { ok: false; error: string };
