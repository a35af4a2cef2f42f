// TCP on Bun's own socket (./light-socket.ts), for the lean client: `call` (a shorter start) and `bench`'s
// load connections (less CPU per call). Connects as ./tcp.ts's connectTcp does, with the same errors and
// timeout; only plaintext (TLS wraps a node:net socket).
import type { Duplex } from "node:stream";
import { type Address, formatAddress } from "./address.ts";
import { TransportError, transportError } from "./errors.ts";
import { LightSocket, lightHandlers } from "./light-socket.ts";
import type { ConnectOptions } from "./types.ts";

type TcpAddress = Extract<Address, { kind: "tcp" }>;

export function connectTcpLight(addr: TcpAddress, opts: ConnectOptions = {}): Promise<Duplex> {
  const where = formatAddress(addr);
  const stream = new LightSocket();
  return new Promise((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    if (opts.timeoutMs !== undefined) {
      timer = setTimeout(() => {
        stream.destroy();
        reject(new TransportError(`cannot connect to ${where}: timed out after ${opts.timeoutMs} ms`, "ETIMEDOUT"));
      }, opts.timeoutMs);
    }
    Bun.connect({ hostname: addr.host, port: addr.port, socket: lightHandlers(stream) }).then(
      (s) => {
        clearTimeout(timer);
        if (stream.destroyed) return;
        s.setNoDelay(true);
        // The lean client uses only the part of Duplex that LightSocket has (./light-socket.ts).
        resolve(stream as unknown as Duplex);
      },
      (err: unknown) => {
        clearTimeout(timer);
        stream.destroy();
        reject(transportError("cannot connect to", where, err));
      },
    );
  });
}
