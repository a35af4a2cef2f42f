// Not rpc/status.ts's Result (a value, or an RpcError for a call): a checked input's fields merged into the
// success, or one line of text saying what is wrong, for a message to the user.

/** What every src/schema module returns at its border: named values, or one line saying what is wrong. */
export type Checked<T> = ({ ok: true } & T) | { ok: false; error: string };
