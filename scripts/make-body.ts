// Writes one gRPC-framed EchoRequest for h2load's -d option (h2load replays the same body every call).
// usage: bun scripts/make-body.ts PAYLOAD_BYTES OUT_FILE
import { writeFileSync } from "node:fs";
import { encodeMessage } from "../src/api/codec.ts";
import { EchoRequest } from "../src/api/echo.ts";
import { prefixMessage } from "../src/rpc/message.ts";

const [size, out] = process.argv.slice(2);
if (!size || !out || !/^\d+$/.test(size)) {
  console.error("usage: bun scripts/make-body.ts PAYLOAD_BYTES OUT_FILE");
  process.exit(2);
}
const payload = Buffer.alloc(Number(size), 0x61);
writeFileSync(out, prefixMessage(encodeMessage(EchoRequest, { payload, sequence: 1 })));
