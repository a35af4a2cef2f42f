// The peer's SETTINGS (RFC 9113 §6.5): validated as they arrive, kept as numbers the send path reads.
import { ConnectionError, ErrorCode } from "./errors.ts";
import { DEFAULT_MAX_FRAME_SIZE, DEFAULT_WINDOW, MAX_ALLOWED_FRAME_SIZE, MAX_WINDOW, Setting } from "./frame.ts";

export class PeerSettings {
  maxConcurrentStreams = Number.POSITIVE_INFINITY;
  initialWindow = DEFAULT_WINDOW;
  maxFrameSize = DEFAULT_MAX_FRAME_SIZE;
  headerTableSize = 4096;
  maxHeaderListSize = Number.POSITIVE_INFINITY;
  enablePush = true;

  /**
   * Applies the entries of one SETTINGS frame (not an ACK), each value checked against §6.5.2. Returns
   * how much every open stream's send window moves by (§6.9.2: it may go negative).
   */
  apply(buf: Buffer, start: number, end: number, fromServer: boolean): number {
    if ((end - start) % 6 !== 0) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "SETTINGS length");
    let delta = 0;
    for (let p = start; p < end; p += 6) {
      const key = buf.readUInt16BE(p);
      const value = buf.readUInt32BE(p + 2);
      switch (key) {
        case Setting.HEADER_TABLE_SIZE:
          this.headerTableSize = value;
          break;
        case Setting.ENABLE_PUSH:
          if (value > 1) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "invalid SETTINGS_ENABLE_PUSH");
          // A server may not offer push to push back (§6.5.2): a client treats 1 as a connection error.
          if (value === 1 && fromServer) {
            throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "server sent SETTINGS_ENABLE_PUSH 1");
          }
          this.enablePush = value === 1;
          break;
        case Setting.MAX_CONCURRENT_STREAMS:
          this.maxConcurrentStreams = value;
          break;
        case Setting.INITIAL_WINDOW_SIZE:
          if (value > MAX_WINDOW) throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "initial window too large");
          delta += value - this.initialWindow;
          this.initialWindow = value;
          break;
        case Setting.MAX_FRAME_SIZE:
          if (value < DEFAULT_MAX_FRAME_SIZE || value > MAX_ALLOWED_FRAME_SIZE) {
            throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, `invalid SETTINGS_MAX_FRAME_SIZE ${value}`);
          }
          this.maxFrameSize = value;
          break;
        case Setting.MAX_HEADER_LIST_SIZE:
          this.maxHeaderListSize = value;
          break;
        // Unknown settings are ignored (§6.5.2).
      }
    }
    return delta;
  }
}
