// Where call and bench connect. grpcurl (`grpcurl ADDR pkg.S/M`) and ghz (`ghz … ADDR`) take the address as a
// positional word; so does grpcperf, and it never connects anywhere the user did not name: a positional
// address beside --server, two positional addresses, or a stray word is a usage error, not a guess.
import { CliError } from "./args.ts";

/** host:port, [v6]:port, dns:///host:port, unix:…, vsock:…, hvsock:…: an address, not a method or symbol. */
export function looksLikeAddress(word: string): boolean {
  if (/^(unix|vsock|hvsock|dns):/.test(word)) return true;
  return /^\[[0-9A-Fa-f:.%a-z]+\]:\d+$/.test(word) || /^[A-Za-z0-9._%-]+:\d+$/.test(word);
}

interface Target {
  /** The address text to connect to: the positional one, else --server (undefined: SERVER_ADDR or the default). */
  readonly server: string | undefined;
  /** The positional words that are not the address, in order. */
  readonly rest: string[];
}

/**
 * Splits a command's positional words into the address and the rest; `takes` says how many other words
 * the command has a use for (a method, a symbol), so any more is refused rather than dropped.
 */
export function splitTarget(server: string | undefined, words: readonly string[], takes = 0): Target {
  const addresses = words.filter(looksLikeAddress);
  const rest = words.filter((w) => !looksLikeAddress(w));
  if (addresses.length > 1) throw new CliError(`two addresses given: ${addresses.join(" and ")}: give one`, 2);
  const positional = addresses[0];
  if (positional !== undefined && server !== undefined && server !== "") {
    throw new CliError(`the address is given twice, ${positional} and --server ${server}: give it once`, 2);
  }
  if (rest.length > takes) {
    const extra = rest[takes] as string;
    throw new CliError(`unexpected argument "${extra}" (an address is host:port, unix:///path or vsock://CID:PORT)`, 2);
  }
  return { server: positional ?? (server === "" ? undefined : server), rest };
}
