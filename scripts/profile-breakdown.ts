// Splits a .cpuprofile (from `bun --cpu-prof scripts/profile-loader.ts …`) into the components of a
// call's cost that issue 31 asks about. Each sample goes to the component of the innermost frame that
// names one; samples whose stack names none are "other" (event loop, start-up, native glue).
//
// usage: bun scripts/profile-breakdown.ts FILE.cpuprofile [NS_PER_CALL]
//   NS_PER_CALL: the load thread's CPU per call (profile-loader.ts prints it), to split it by component;
//   the samples' own timing is not used, since Bun samples the thread only while it runs.
import { readFileSync } from "node:fs";

interface Node {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  startTime: number;
  endTime: number;
}

// Innermost match wins, so the order only matters between rules that could match the same frame.
const RULES: ReadonlyArray<readonly [string, (fn: string, url: string) => boolean]> = [
  [
    "socket writes (syscall)",
    (fn, url) =>
      fn === "writeBuffered" ||
      (url.includes("node:net") && fn === "_write") ||
      (url.includes("/transport/") && (fn === "send" || fn === "write" || fn === "writeTaken")) ||
      (fn === "write" && url === ""), // Bun's own socket's native write (src/transport/light-socket.ts)
  ],
  ["writer: gather, flush", (_fn, url) => url.endsWith("/h2/writer.ts")],
  ["HPACK decode", (_fn, url) => url.includes("/h2/hpack/")],
  [
    "frame encoding (HEADERS, DATA, PING ack)",
    (fn, url) =>
      url.endsWith("/h2/header-block.ts") ||
      url.endsWith("/h2/data.ts") ||
      url.endsWith("/h2/ping.ts") ||
      (url.endsWith("/h2/frame.ts") && fn === "encodeFrame"),
  ],
  [
    "recording (histograms, timeline)",
    (_fn, url) => url.includes("hdr-histogram") || url.includes("/bench/tally.ts") || url.includes("/bench/timeline/"),
  ],
  ["closed loop (scheduling)", (_fn, url) => url.includes("/bench/loops/")],
  ["stream loop (next message, reply matching)", (_fn, url) => url.includes("/bench/stream/")],
  [
    "call objects, promises, outcome",
    (fn, url) =>
      url.endsWith("/rpc/lean/channel.ts") ||
      url.endsWith("/rpc/lean/unary-call.ts") ||
      url.endsWith("/rpc/web/connect-unary.ts") ||
      url.endsWith("/rpc/web/web-unary.ts") ||
      url.endsWith("/rpc/web/unary-events.ts") ||
      url.endsWith("/rpc/unary-outcome.ts") ||
      url.endsWith("/rpc/status.ts") ||
      fn === "Promise",
  ],
  ["connection: streams, flow control, checks", (_fn, url) => url.includes("/rpc/lean/") || url.includes("/rpc/web/")],
  [
    "frame reading and parsing",
    (_fn, url) => url.includes("/h2/") || url.includes("/rpc/message.ts") || url.includes("/protocol/"),
  ],
  [
    "socket reads (stream plumbing)",
    (_fn, url) => url.includes("internal:streams") || url.includes("node:net") || url.includes("/transport/"),
  ],
];

const [file = "", nsArg] = process.argv.slice(2);
const p = JSON.parse(readFileSync(file, "utf8")) as Profile;
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const componentOf = new Map<number, string>();
const classify = (id: number): string => {
  const known = componentOf.get(id);
  if (known !== undefined) return known;
  const n = byId.get(id) as Node;
  const rule = RULES.find(([, match]) => match(n.callFrame.functionName, n.callFrame.url));
  const up = parent.get(id);
  const c = rule ? rule[0] : up === undefined ? "other" : classify(up);
  componentOf.set(id, c);
  return c;
};
const counts = new Map<string, number>();
let busy = 0;
for (const id of p.samples) {
  const n = byId.get(id) as Node;
  if (n.callFrame.functionName === "(idle)" || n.callFrame.functionName === "(program)") continue;
  busy++;
  const c = classify(id);
  counts.set(c, (counts.get(c) ?? 0) + 1);
}
const perCall = nsArg === undefined ? undefined : Number(nsArg);
console.log(`${busy} busy samples of ${p.samples.length}`);
for (const [c, n] of [...counts].sort((a, b) => b[1] - a[1])) {
  const share = (100 * n) / busy;
  const ns = perCall ? `  ${((share * perCall) / 100).toFixed(0).padStart(5)} ns/call` : "";
  console.log(`${share.toFixed(1).padStart(5)}%${ns}  ${c}`);
}
