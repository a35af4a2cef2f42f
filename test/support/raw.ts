// A raw HTTP/2 peer for hardening tests: sends exactly the bytes a test wants, whatever gRPC says.
import http2 from "node:http2";
import net from "node:net";

export interface RawOutcome {
  readonly httpStatus?: number;
  readonly grpcStatus?: number;
  readonly grpcMessage?: string;
  readonly rstCode?: number;
}

export function rawSession(port: number): http2.ClientHttp2Session {
  const s = http2.connect(`http://127.0.0.1:${port}`);
  s.on("error", () => {});
  return s;
}

/** One request with the given body bytes (already framed, or deliberately not). */
export function rawCall(
  session: http2.ClientHttp2Session,
  path: string,
  body: Buffer,
  extraHeaders: http2.OutgoingHttpHeaders = {},
): Promise<RawOutcome> {
  return new Promise((resolve) => {
    const out: { httpStatus?: number; grpcStatus?: number; grpcMessage?: string; rstCode?: number } = {};
    const read = (h: http2.IncomingHttpHeaders) => {
      if (h[":status"] !== undefined) out.httpStatus = Number(h[":status"]);
      if (h["grpc-status"] !== undefined) out.grpcStatus = Number(h["grpc-status"]);
      if (h["grpc-message"] !== undefined) out.grpcMessage = decodeURIComponent(String(h["grpc-message"]));
    };
    const stream = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": "application/grpc",
      te: "trailers",
      ...extraHeaders,
    });
    stream.on("response", read);
    stream.on("trailers", read);
    stream.on("data", () => {});
    stream.on("error", () => {});
    stream.on("close", () => {
      if (stream.rstCode) out.rstCode = stream.rstCode;
      resolve(out);
    });
    stream.end(body);
  });
}

/** A gRPC frame header with any flag and any claimed length, followed by the given bytes. */
export function frame(flag: number, claimedLength: number, bytes: Buffer): Buffer {
  const h = Buffer.alloc(5);
  h[0] = flag;
  h.writeUInt32BE(claimedLength >>> 0, 1);
  return Buffer.concat([h, bytes]);
}

/** Opens a plain TCP connection and resolves once it is connected. */
export function tcpConnect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: "127.0.0.1", port });
    s.once("connect", () => resolve(s));
    s.once("error", reject);
  });
}
