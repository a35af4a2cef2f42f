// Socket failures as one readable line each, for people and for the UNAVAILABLE status details.
export class TransportError extends Error {
  constructor(
    message: string,
    readonly errno?: string,
  ) {
    super(message);
    this.name = "TransportError";
  }
}

const explain: Record<string, string> = {
  EADDRINUSE: "address already in use",
  EADDRNOTAVAIL: "address not available on this machine",
  EACCES: "permission denied",
  ECONNREFUSED: "connection refused (nothing listening)",
  ECONNRESET: "connection reset by peer",
  ETIMEDOUT: "connection timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ENOENT: "no such socket file",
  ENOTFOUND: "host name not found",
  EAFNOSUPPORT: "address family not supported by this kernel",
  ENODEV: "no such device",
  EPIPE: "connection closed by peer",
};

export function describeErrno(code: string | undefined): string {
  return (code && explain[code]) || code || "unknown error";
}

/** Wraps a Node-style system error as a TransportError naming what was being done, and where. */
export function transportError(action: string, where: string, err: unknown): TransportError {
  const code = (err as { code?: string } | undefined)?.code;
  if (code) return new TransportError(`${action} ${where}: ${describeErrno(code)} (${code})`, code);
  const message = err instanceof Error ? err.message : String(err);
  return new TransportError(`${action} ${where}: ${message}`);
}
