// A local stand-in for the muxer of Firecracker's hybrid vsock (its host side): a Unix socket that reads
// "CONNECT <port>\n", answers "OK <hostport>\n" and splices to the "guest" (a gRPC server on another Unix
// socket), or closes when nothing listens on that port in the guest, as Firecracker does.
import { rmSync } from "node:fs";
import net from "node:net";

export const HOST_PORT = 1073741824;

export type MuxerMode = "firecracker" | "coalesce" | "silent" | "garbage";

export interface Muxer {
  /** CONNECT requests read so far. */
  readonly seen: number;
  /** Resolves once this muxer has read `n` CONNECT requests in all. */
  connects(n: number): Promise<void>;
  /**
   * The VM going away: every spliced connection is reset, the listener closes and its socket file is
   * removed, as when the VMM process ends and whatever supervises it cleans up.
   */
  vanish(): Promise<void>;
}

/**
 * In "firecracker" mode the OK line goes out once the guest accepted the connection, as Firecracker sends
 * it (the guest may wait for the host to speak first: grpcperf serve does, as it serves HTTP/1.1 too). In
 * "coalesce" mode, for a guest that speaks first, the guest's first bytes (its HTTP/2 SETTINGS) go in the
 * SAME write as the OK line, the case a client most easily gets wrong. `guests` is read at each CONNECT: a
 * port missing from it, or a guest socket that refuses, closes the host's connection (nothing listens on
 * that port in the guest).
 */
export function startMuxer(path: string, guests: ReadonlyMap<number, string>, mode: MuxerMode): Promise<Muxer> {
  const open = new Set<net.Socket>();
  let connects = 0;
  const waiting: (() => void)[] = [];
  const seen = (n: number): Promise<void> =>
    connects >= n ? Promise.resolve() : new Promise((resolve) => waiting.push(() => void seen(n).then(resolve)));
  const server = net.createServer((host) => {
    open.add(host);
    host.on("close", () => open.delete(host));
    host.on("error", () => {});
    let line = "";
    const onData = (chunk: Buffer) => {
      line += chunk.toString("latin1");
      const nl = line.indexOf("\n");
      if (nl < 0) return;
      host.off("data", onData);
      host.pause();
      connects++;
      for (const w of waiting.splice(0)) w();
      if (mode === "silent") return;
      if (mode === "garbage") {
        host.write("HELLO THERE\n");
        return;
      }
      const m = /^CONNECT (\d+)$/.exec(line.slice(0, nl));
      const target = m ? guests.get(Number(m[1])) : undefined;
      if (!target) {
        host.destroy();
        return;
      }
      splice(host, net.connect(target), open, mode === "coalesce");
    };
    host.on("data", onData);
  });
  const muxer: Muxer = {
    get seen() {
      return connects;
    },
    connects: seen,
    vanish: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of open) s.resetAndDestroy();
      await closed;
      rmSync(path, { force: true });
    },
  };
  return new Promise((resolve) => server.listen(path, () => resolve(muxer)));
}

function splice(host: net.Socket, guest: net.Socket, open: Set<net.Socket>, coalesce: boolean): void {
  open.add(guest);
  guest.on("close", () => open.delete(guest));
  const start = (first: Buffer) => {
    host.write(Buffer.concat([Buffer.from(`OK ${HOST_PORT}\n`), first]));
    guest.pipe(host);
    host.pipe(guest);
    host.resume();
  };
  if (coalesce) guest.once("data", start);
  else guest.once("connect", () => start(Buffer.alloc(0)));
  // A guest socket that refuses (its server is down) is, to the host, the VMM closing the connection.
  guest.on("error", () => host.destroy());
  guest.on("end", () => host.end());
  host.on("close", () => guest.destroy());
}
