// Budgets for the frames a client can send for free, each costing the server work: the bounds the HTTP/2
// stacks adopted after the 2019 flood CVEs (CVE-2019-9512..9518) and rapid reset (CVE-2023-44487). A client
// over one gets GOAWAY ENHANCE_YOUR_CALM. PING has its own policy (src/server/limits.ts, grpc-go's strikes)
// and header blocks their size and frame count (HeaderBlocks); these are the rest.

import { ConnectionError, ErrorCode } from "../../h2/errors.ts";
import { Flag } from "../../h2/frame.ts";

/** How a budget refills: by time, and by work the client had us do (streams opened, bytes sent). */
interface BudgetRule {
  /** Tokens at the start, and at most ever held. */
  readonly burst: number;
  /** Tokens regained per second. */
  readonly perSecond: number;
  /** Tokens regained per unit of earned(). */
  readonly perEarned: number;
}

/**
 * A token bucket whose refill is worked out only when it runs dry: a frame within budget costs a
 * decrement and a compare, no clock read (the hot path stays as it was; a flood reads the clock).
 */
export class Budget {
  private tokens: number;
  private refilledAt: number;
  private earnedAt: number;

  constructor(
    private readonly rule: BudgetRule,
    /** A count that only grows, read when the bucket runs dry. */
    private readonly earned: () => number = () => 0,
    private readonly clock: () => number = performance.now.bind(performance),
  ) {
    this.tokens = rule.burst;
    this.refilledAt = clock();
    // Counted from the connection's start, so from 0 (not read here: the session is still being built).
    this.earnedAt = 0;
  }

  /** Spends one token; false when there is none: the client is over its budget. */
  take(): boolean {
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return this.refill(1);
  }

  /** Spends `n` tokens; false when there are fewer: the client is over its budget. */
  spend(n: number): boolean {
    if (this.tokens >= n) {
      this.tokens -= n;
      return true;
    }
    return this.refill(n);
  }

  private refill(n: number): boolean {
    const now = this.clock();
    const earned = this.earned();
    const r = this.rule;
    const gained = ((now - this.refilledAt) * r.perSecond) / 1000 + (earned - this.earnedAt) * r.perEarned;
    this.refilledAt = now;
    this.earnedAt = earned;
    this.tokens = Math.min(r.burst, this.tokens + gained);
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }
}

/**
 * Rapid reset (CVE-2023-44487): RST_STREAM on a stream we have not finished, sent in the same socket read
 * as its HEADERS, i.e. before the client could have seen anything of ours. nghttp2's token bucket and
 * numbers (burst 1000, 33 per second). nghttp2 counts every RST_STREAM; Go's x/net/http2 instead bounds
 * the work still running for reset streams (4 x MAX_CONCURRENT_STREAMS). Counting only same-read resets
 * is how honest cancellation stays out: a client that cancels on a deadline or a user's whim writes the
 * RST_STREAM after a timer, so in a later read than the HEADERS, and at most MAX_CONCURRENT_STREAMS such
 * streams are open at once, which is Go's bound. A bench whose every call times out, at any rate, is not
 * cut; a client that opens and resets in one write is, within about a thousand streams.
 */
export const RAPID_RESET: BudgetRule = { burst: 1000, perSecond: 33, perEarned: 0 };

/**
 * SETTINGS (non-ACK, CVE-2019-9515): each is acknowledged, and INITIAL_WINDOW_SIZE walks every open
 * stream. nghttp2 (max_outbound_ack, 1000) and Go (maxQueuedControlFrames, 10000) bound only the ACKs
 * queued unsent, which our Writer bounds by pausing reads; the CPU is bounded here the way Envoy bounds
 * PRIORITY: an allowance per stream opened (1, so even a SETTINGS per call passes), over a burst of 100
 * and 10 per second for long-lived connections.
 */
const SETTINGS_FLOOD: BudgetRule = { burst: 100, perSecond: 10, perEarned: 1 };

/**
 * Frames read past (CVE-2019-9516-like): PRIORITY, unknown types, RST_STREAM on a stream we no longer
 * hold. Envoy's max_inbound_priority_frames_per_stream (100 per stream opened); Envoy starts from 100, we
 * from 1000 so a priority tree sent up front (Firefox's idle-stream groups) has room; 10 per second.
 */
const IGNORED_FLOOD: BudgetRule = { burst: 1000, perSecond: 10, perEarned: 100 };

/**
 * WINDOW_UPDATE: Envoy's max_inbound_window_update_frames_per_data_frame_sent (5 + 2 x (streams + 10 x
 * DATA frames sent)). We earn by bytes sent rather than DATA frames (read off the socket, only when the
 * bucket runs dry): the smallest DATA frame we send is 14 bytes (9 header + 5 prefix), so one token per 4
 * bytes is at least Envoy's 2 per DATA frame for a client that returns credit per frame, per stream and on
 * the connection. Plus 2 per stream opened, a burst of 1000 and 100 per second.
 */
const WINDOW_UPDATE_FLOOD: BudgetRule = { burst: 1000, perSecond: 100, perEarned: 1 };
/** Bytes sent per WINDOW_UPDATE_FLOOD token earned. */
const BYTES_PER_WINDOW_UPDATE = 4;
/** WINDOW_UPDATE_FLOOD tokens earned per stream opened. */
const WINDOW_UPDATES_PER_STREAM = 2;

/**
 * Empty DATA frames without END_STREAM in a row (CVE-2019-9518): they carry nothing and cost a frame's
 * work each. Envoy's max_consecutive_inbound_frames_with_empty_payload, default 1: the second in a row
 * is a flood.
 */
const MAX_CONSECUTIVE_EMPTY_DATA = 1;

/**
 * Glitches: every protocol error a client causes that costs us an answer or a reset (a malformed, refused
 * or unroutable request, a stream we reset for its errors, a frame on a closed stream, a header list over
 * the cap, a call shed at the request-byte budget). HAProxy counts these per connection ("glitches",
 * tune.h2.fe.glitches-threshold) and so does sozu (max_glitch_count): each alone is an honest client's
 * mistake, a stream of them is a client probing or flooding. A burst of 1000, refilled 10 per second; an
 * empty budget gets GOAWAY ENHANCE_YOUR_CALM. Client cancellations are no glitch: the rapid-reset budget
 * counts those that matter, and a deadline's cancel is normal.
 */
const GLITCHES: BudgetRule = { burst: 1000, perSecond: 10, perEarned: 0 };

/**
 * What each glitch costs. HAProxy weighs its glitches too (h2c_report_glitch takes an increment): a header
 * list over the cap costs the peer nothing to resend (the "HTTP/2 Bomb" names a table entry a few thousand
 * times in a few bytes) and us a walk of the block, so ten in a burst end the connection.
 */
export const Glitch = {
  REQUEST: 1,
  HEADER_LIST: 100,
} as const;

/** The budgets of one connection. */
export class FloodGuard {
  readonly rapidResets: Budget;
  readonly settings: Budget;
  readonly ignored: Budget;
  readonly windowUpdates: Budget;
  readonly glitches: Budget;
  /** Empty DATA frames without END_STREAM since the last DATA with a payload. */
  emptyData = 0;

  constructor(
    streamsOpened: () => number,
    bytesSent: () => number,
    clock: () => number = performance.now.bind(performance),
  ) {
    this.rapidResets = new Budget(RAPID_RESET, undefined, clock);
    this.glitches = new Budget(GLITCHES, undefined, clock);
    this.settings = new Budget(SETTINGS_FLOOD, streamsOpened, clock);
    this.ignored = new Budget(IGNORED_FLOOD, streamsOpened, clock);
    this.windowUpdates = new Budget(
      WINDOW_UPDATE_FLOOD,
      () => WINDOW_UPDATES_PER_STREAM * streamsOpened() + Math.floor(bytesSent() / BYTES_PER_WINDOW_UPDATE),
      clock,
    );
  }

  /** An empty DATA frame came: true when it makes a flood (END_STREAM on an empty frame is normal). */
  emptyDataFlood(flags: number): boolean {
    if (flags & Flag.END_STREAM) return false;
    this.emptyData++;
    return this.emptyData > MAX_CONSECUTIVE_EMPTY_DATA;
  }
}

/** The connection error for a client over a budget: GOAWAY ENHANCE_YOUR_CALM, as all the stacks send. */
export function calm(reason: string): ConnectionError {
  return new ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, reason);
}
