// grpc-js accepts a message whose compressed flag is set when no compression was negotiated (it treats
// it as uncompressed), and any flag value other than 1 as "not compressed". The gRPC spec calls both a
// protocol error; a client that sends them is confused or probing, so its stream is reset instead.
import http2 from "node:http2";

const HEADER = 5;

/** Walks gRPC message headers across DATA chunks without buffering bodies (or allocating: per stream). */
export class FrameFlagCheck {
  private headerFill = 0;
  private length = 0;
  private bodyLeft = 0;

  /** @param compressionNegotiated whether the request named a real grpc-encoding (not identity). */
  constructor(private readonly compressionNegotiated: boolean) {}

  /** The reason the stream must be refused, or undefined while every frame header is acceptable. */
  push(chunk: Uint8Array): string | undefined {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.bodyLeft > 0) {
        const skip = Math.min(this.bodyLeft, chunk.length - pos);
        this.bodyLeft -= skip;
        pos += skip;
        continue;
      }
      const byte = chunk[pos++] as number;
      if (this.headerFill === 0) {
        if (byte > 1) return `invalid message flag ${byte}`;
        if (byte === 1 && !this.compressionNegotiated) return "compressed message without grpc-encoding";
        this.length = 0;
      } else {
        this.length = this.length * 256 + byte;
      }
      if (++this.headerFill === HEADER) {
        this.headerFill = 0;
        this.bodyLeft = this.length;
      }
    }
    return undefined;
  }
}

export function compressionNegotiated(headers: http2.IncomingHttpHeaders): boolean {
  const enc = headers["grpc-encoding"];
  return typeof enc === "string" && enc !== "" && enc !== "identity";
}

/**
 * Taps a server stream's DATA. On a bad frame header the call ends with INTERNAL (trailers-only when no
 * response has started), then the stream is closed, which grpc-js takes as a cancelled call and so
 * never answers it itself.
 */
export function guardFrames(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
  const check = new FrameFlagCheck(compressionNegotiated(headers));
  const onData = (chunk: Buffer) => {
    const problem = check.push(chunk);
    if (problem === undefined) return;
    stream.off("data", onData);
    if (stream.destroyed) return;
    try {
      if (!stream.headersSent) {
        stream.respond(
          {
            ":status": 200,
            "content-type": "application/grpc",
            "grpc-status": "13",
            "grpc-message": encodeURIComponent(problem),
          },
          { endStream: true },
        );
      }
    } finally {
      stream.close(http2.constants.NGHTTP2_PROTOCOL_ERROR);
    }
  };
  stream.on("data", onData);
}
