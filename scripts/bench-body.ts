// Writes one gRPC-framed EchoRequest (what `grpcperf bench` sends) for h2load's -d.
// usage: bun scripts/bench-body.ts PAYLOAD_BYTES OUT_FILE
import { writeFileSync } from "node:fs";
import { encodeMessage } from "../src/api/codec.ts";
import { EchoRequest } from "../src/api/echo.ts";
import { encodeFrame } from "../src/rpc/frame.ts";

const [size = "16", out = "body.bin"] = process.argv.slice(2);
const payload = Buffer.alloc(Number(size), 7);
writeFileSync(out, encodeFrame(encodeMessage(EchoRequest, { payload })));
