// @connectrpc/connect-node's server (node:http2, Echo in gRPC, gRPC-Web and Connect; with --http1, node:http
// and HTTP/1.1 with keep-alive), standalone for scripts/bench-protocols.sh: prints "serving connect-node on
// 127.0.0.1:PORT" and runs until killed.
import { startConnectPeer } from "../test/support/connect-peer.ts";

const peer = await startConnectPeer({ http1: process.argv.includes("--http1") });
process.stderr.write(`serving connect-node on 127.0.0.1:${peer.port}\n`);
process.on("SIGTERM", () => {
  void peer.close().then(() => process.exit(0));
});
