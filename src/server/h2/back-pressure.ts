// What a client can make a server connection hold, and how it is made to wait: response bytes queued for
// its window, request DATA held unread while they queue, the connection window returned to it as request
// bytes are consumed, and the request-byte budget (../request-bytes.ts) with its shedding when stuck.
import { CONNECTION_WINDOW, InFlow } from "../../h2/flow.ts";
import { DEFAULT_WINDOW, windowUpdateFrame } from "../../h2/frame.ts";
import type { Writer } from "../../h2/writer.ts";
import { Status } from "../../rpc/status.ts";
import { ConnectionRequestBytes, type RequestBytes } from "../request-bytes.ts";
import { REQUEST_BYTES_DETAILS, REQUEST_BYTES_EXHAUSTED, trailers } from "./blocks.ts";
import { Glitch } from "./flood.ts";
import type { ServerStream } from "./stream.ts";

// Over the request-byte budget, the client is stuck once it has less connection window than one frame:
// then the stream holding the most is answered RESOURCE_EXHAUSTED, so the rest can go on (Envoy's overload
// action reset_high_memory_stream does the same).
export const STUCK_WINDOW = 16 * 1024;
// Response bytes queued for want of the client's window. Past the high mark on a stream, that stream's
// request DATA is held unread (and its window not returned); past the connection's, every stream's is,
// and new streams are refused, until the client's WINDOW_UPDATEs bring the queue under the low mark.
// What a client can make us hold is then about its windows plus these marks, not what it asks for.
const STREAM_QUEUE_HIGH = 1 << 20;
const STREAM_QUEUE_LOW = STREAM_QUEUE_HIGH / 2;
const CONNECTION_QUEUE_HIGH = 16 << 20;
const CONNECTION_QUEUE_LOW = CONNECTION_QUEUE_HIGH / 2;

/** What back-pressure needs of its connection. */
interface PressureHost {
  readonly streams: ReadonlyMap<number, ServerStream>;
  readonly writer: Writer;
  isDead(): boolean;
  /** A stream both sides have finished is dropped. */
  maybeForget(stream: ServerStream): void;
  glitch(cost: number): void;
  debug(message: string): void;
}

export class BackPressure {
  /**
   * What the client may still send on the connection (a client that sends more is cut), and the request
   * bytes consumed or read past that are not yet returned to it.
   */
  readonly recv = new InFlow(DEFAULT_WINDOW, CONNECTION_WINDOW);
  /** Response DATA bytes queued on all streams for want of window. */
  queuedBytes = 0;
  /** Over the high mark: request DATA is held and new streams refused until under the low mark. */
  backedUp = false;
  /** Streams with request DATA held: when none, there is nothing to look for on resuming. */
  private heldStreams = 0;
  /** Request bytes held by this connection's calls, within its budget and the process's. */
  private readonly requestBytes: ConnectionRequestBytes;

  constructor(
    private readonly host: PressureHost,
    requestBytes: RequestBytes,
  ) {
    this.requestBytes = new ConnectionRequestBytes(requestBytes);
  }

  /** The client's preface came: the connection window grows to what we keep open. */
  opened(): void {
    this.host.writer.append(windowUpdateFrame(0, CONNECTION_WINDOW - DEFAULT_WINDOW));
    this.recv.avail += CONNECTION_WINDOW - DEFAULT_WINDOW;
  }

  /** A new stream would only add to what we hold. */
  full(): boolean {
    return this.backedUp || this.requestBytes.full();
  }

  /** Whether a stream's request DATA must wait (held unread) for its responses to go out. */
  mustHold(stream: ServerStream): boolean {
    return stream.held !== undefined || this.backedUp || stream.pendingBytes >= STREAM_QUEUE_HIGH;
  }

  /** Responses are queued: past the connection's high mark, request DATA waits for them. */
  queued(): void {
    if (this.queuedBytes >= CONNECTION_QUEUE_HIGH) this.backedUp = true;
  }

  /** Window opened or streams went: request DATA held for queued responses is delivered again. */
  resumeReads(): void {
    if (this.backedUp && this.queuedBytes <= CONNECTION_QUEUE_LOW) this.backedUp = false;
    if (!this.backedUp && this.heldStreams > 0) {
      for (const stream of this.host.streams.values()) {
        if (stream.held !== undefined && stream.pendingBytes <= STREAM_QUEUE_LOW) this.deliverHeld(stream);
        if (this.backedUp) break;
      }
    }
    this.returnConnectionWindow();
  }

  /**
   * Keeps request bytes back while responses queue. Copied, not a view: a view of a padded or tiny frame
   * would keep its whole read buffer alive. What is held is bounded by the window withheld meanwhile, not
   * by the request-byte budget (whose shedding would end calls that only wait for their client to read).
   */
  hold(stream: ServerStream, body: Buffer, length: number): void {
    const copy = Buffer.from(body);
    if (stream.held === undefined) {
      stream.held = [copy];
      this.heldStreams++;
    } else {
      stream.held.push(copy);
    }
    stream.heldBytes += length;
  }

  /** Request bytes the application has taken: their window goes back to the client, in halves. */
  consumed(stream: ServerStream | undefined, length: number): void {
    this.recv.consumed(length);
    this.returnConnectionWindow();
    if (stream === undefined || stream.remoteEnded || length === 0) return;
    const increment = stream.flow.consumed(length);
    if (increment > 0) this.host.writer.append(windowUpdateFrame(stream.id, increment));
  }

  /** A stream leaves: held request bytes are read past (their window comes back), its budget is freed. */
  forget(stream: ServerStream): void {
    if (stream.held !== undefined) this.releaseHeld(stream, undefined);
    this.releaseRequestBytes(stream);
  }

  /** The connection is gone: nothing held is delivered, and no window is returned. */
  abandon(stream: ServerStream): void {
    if (stream.held !== undefined) this.heldStreams--;
    stream.held = undefined;
    stream.heldBytes = 0;
    this.releaseRequestBytes(stream);
  }

  /** A stream's call holds `delta` more request bytes; back under the budget, withheld window goes back. */
  holdRequest(delta: number): void {
    const budget = this.requestBytes;
    budget.add(delta);
    if (delta < 0 && !this.host.isDead() && !budget.full()) this.returnConnectionWindow();
  }

  /**
   * At the budget with the client out of connection window, no message in progress can complete and free
   * anything: the streams holding the most are answered RESOURCE_EXHAUSTED and their bytes freed, largest
   * first, until the connection is under its budget again (Envoy's overload action
   * reset_high_memory_stream); then the window withheld goes back and the others go on. Only a client that
   * keeps more unfinished messages open than the budget holds ever gets here.
   */
  shedIfStuck(): void {
    const host = this.host;
    while (this.recv.avail < STUCK_WINDOW && !this.backedUp && !host.isDead() && this.requestBytes.full()) {
      let largest: ServerStream | undefined;
      for (const s of host.streams.values()) if (s.requestHeld > (largest?.requestHeld ?? 0)) largest = s;
      if (largest === undefined) return;
      host.debug(`stream ${largest.id}: ${largest.requestHeld} request bytes held at the budget: shed`);
      host.glitch(Glitch.REQUEST);
      const h = largest.handler;
      largest.end(
        largest.headersSent ? trailers(Status.RESOURCE_EXHAUSTED, REQUEST_BYTES_DETAILS) : REQUEST_BYTES_EXHAUSTED,
      );
      h?.onAbort();
    }
  }

  /** Hands a stream's held request DATA to its handler until it backs up again; then its end, if it came. */
  private deliverHeld(stream: ServerStream): void {
    const held = stream.held as Buffer[];
    const h = stream.handler;
    while (held.length > 0) {
      if (this.backedUp || stream.pendingBytes >= STREAM_QUEUE_HIGH) return;
      const chunk = held.shift() as Buffer;
      if (chunk.length > 0) h?.onData(chunk, 0, chunk.length);
      // The handler may have ended the call: forget() has released what was held.
      if (stream.held === undefined) return;
    }
    this.releaseHeld(stream, stream);
    if (stream.remoteEnded) {
      h?.onEnd();
      this.host.maybeForget(stream);
    }
  }

  /** The stream holds nothing any more: its held bytes count as consumed (for `credit`'s window too). */
  private releaseHeld(stream: ServerStream, credit: ServerStream | undefined): void {
    stream.held = undefined;
    this.heldStreams--;
    const length = stream.heldBytes;
    stream.heldBytes = 0;
    this.consumed(credit, length);
  }

  private returnConnectionWindow(): void {
    // Withheld while backed up, or while request bytes are at their budget: the client then cannot push
    // more request bytes for us to hold.
    if (this.backedUp || !this.recv.isDue()) return;
    if (this.requestBytes.full()) {
      this.requestBytes.process.waitForRoom(this.roomMade);
      return;
    }
    const increment = this.recv.due();
    if (increment > 0) this.host.writer.append(windowUpdateFrame(0, increment));
  }

  /** The process's budget has room again (another connection of this thread freed bytes). */
  private readonly roomMade = (): void => {
    if (!this.host.isDead()) this.returnConnectionWindow();
  };

  /** A stream leaves: whatever its call still holds no longer counts, whatever the call does later. */
  private releaseRequestBytes(stream: ServerStream): void {
    stream.forgotten = true;
    if (stream.requestHeld !== 0) this.requestBytes.add(-stream.requestHeld);
    stream.requestHeld = 0;
  }
}
