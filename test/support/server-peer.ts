// A frame-level HTTP/2 *server* for client tests: a net.Server on loopback whose every accepted
// connection is a Peer (test/support/peer.ts) reading the client's preface and frames, so that a test can write
// any raw frame back and see exactly what the client sends in return.
import { afterEach } from "bun:test";
import net, { type AddressInfo } from "node:net";
import { Flag, FrameType } from "../../src/h2/frame.ts";
import type { RpcChannel } from "../../src/rpc/channel.ts";
import { prefixMessage as grpcFrame } from "../../src/rpc/message.ts";
import type { Address } from "../../src/transport/address.ts";
import { channelTo } from "./helpers.ts";
import { type Frame, Peer } from "./peer.ts";
import { encodeFields, writeFrame as encodeFrame, writeSettings as settingsFrame } from "./wire.ts";

export class ServerPeer {
  /** Accepted connections, in order. */
  readonly conns: Peer[] = [];
  private waiters: Array<() => void> = [];

  private constructor(
    private readonly server: net.Server,
    readonly address: Address,
  ) {}

  /**
   * Listens on 127.0.0.1. Each connection gets `settings` as the server's SETTINGS at once, and an ACK
   * once the client's SETTINGS came; with `settings` undefined no SETTINGS is sent (the test sends its own).
   */
  static async listen(settings: ReadonlyArray<readonly [number, number]> | undefined = []): Promise<ServerPeer> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const sp = new ServerPeer(server, { kind: "tcp", host: "127.0.0.1", port });
    server.on("connection", (socket) => {
      const peer = new Peer(socket, true);
      if (settings !== undefined) socket.write(settingsFrame(settings));
      void peer
        .waitFor(isClientSettings)
        .then(() => peer.send(FrameType.SETTINGS, Flag.ACK, 0))
        .catch(() => {});
      sp.conns.push(peer);
      for (const w of sp.waiters.splice(0)) w();
    });
    return sp;
  }

  /** The n-th accepted connection, once it is there. */
  async accepted(n = 0): Promise<Peer> {
    for (;;) {
      const c = this.conns[n];
      if (c) return c;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  close(): void {
    for (const c of this.conns) c.close();
    this.server.close();
  }
}

const isClientSettings = (f: Frame): boolean => f.type === FrameType.SETTINGS && (f.flags & Flag.ACK) === 0;

/** The HEADERS frame opening the client's next request stream (after frame index `from`). */
export const isRequest = (f: Frame): boolean => f.type === FrameType.HEADERS && f.id % 2 === 1;

/** A whole HEADERS frame (END_HEADERS) with these fields, plus any other flags. */
export function headersFrame(id: number, fields: ReadonlyArray<readonly [string, string]>, flags = 0): Buffer {
  return encodeFrame(FrameType.HEADERS, Flag.END_HEADERS | flags, id, encodeFields(fields));
}

/** The fields of a well-formed gRPC response's headers and trailers. */
export const RESPONSE_FIELDS: ReadonlyArray<readonly [string, string]> = [
  [":status", "200"],
  ["content-type", "application/grpc"],
];
export const TRAILER_FIELDS: ReadonlyArray<readonly [string, string]> = [["grpc-status", "0"]];

/** A DATA frame carrying one gRPC message. */
export function messageFrame(id: number, message: Buffer, flags = 0): Buffer {
  return encodeFrame(FrameType.DATA, flags, id, grpcFrame(message));
}

/** A whole, well-formed unary response: headers, one message, trailers. */
export function responseFrames(id: number, message: Buffer): Buffer {
  return Buffer.concat([
    headersFrame(id, RESPONSE_FIELDS),
    messageFrame(id, message),
    headersFrame(id, TRAILER_FIELDS, Flag.END_STREAM),
  ]);
}

/**
 * A test file's fake servers and the channels to them: `connect()` opens one of each, and both are closed
 * after the test (call it at the file's top level: it registers the afterEach). `open` is the latest pair.
 */
export function peerChannels() {
  const open: { srv?: ServerPeer; ch?: RpcChannel } = {};
  afterEach(async () => {
    await open.ch?.close();
    open.srv?.close();
    open.ch = undefined;
    open.srv = undefined;
  });
  return {
    open,
    async connect(
      settings: ReadonlyArray<readonly [number, number]> = [],
      opts: Parameters<typeof channelTo>[1] = { client: "lean" },
    ): Promise<{ srv: ServerPeer; ch: RpcChannel }> {
      const srv = await ServerPeer.listen(settings);
      const ch = channelTo(srv.address, opts);
      open.srv = srv;
      open.ch = ch;
      return { srv, ch };
    },
  };
}
