// Before a --start-at run: how far this machine's clock is from the server's, from the timestamps grpcperf's
// Echo puts in its answers (NTP's four-timestamp estimate, on the quickest of a few round trips, so the
// error is at most half that round trip). Shards read --start-at on their own clocks; a clock that is off
// makes its shard start off by as much. Servers without grpcperf's Echo give no estimate (null).

import { openChannel } from "../client/channel.ts";
import { echoOnce } from "../client/echo.ts";
import { log } from "../log.ts";
import type { BenchOptions } from "./options.ts";

const SAMPLES = 5;

/** The server's clock minus ours, ms; null when the server does not answer grpcperf's Echo with timestamps. */
export async function serverClockOffsetMs(o: BenchOptions): Promise<number | null> {
  const channel = openChannel(o.server, { tls: o.tls, client: o.client, connectTimeoutMs: o.timeoutMs });
  try {
    let best: { rttNs: number; offsetNs: number } | undefined;
    for (let i = 0; i < SAMPLES; i++) {
      const r = await echoOnce(channel, new Uint8Array(0), i, o.timeoutMs);
      if (!r.result.ok || r.result.serverRecvUnixNanos === 0n) {
        log.debug(
          `clock check: no timestamped Echo answer (${r.result.ok ? "no timestamps" : r.result.error.details})`,
        );
        return null;
      }
      const t0 = Number(r.result.clientSendUnixNanos);
      const t3 = t0 + r.rttMicros * 1000;
      const t1 = Number(r.result.serverRecvUnixNanos);
      const t2 = Number(r.result.serverSendUnixNanos);
      const rttNs = t3 - t0 - (t2 - t1);
      const offsetNs = (t1 - t0 + (t2 - t3)) / 2;
      if (best === undefined || rttNs < best.rttNs) best = { rttNs, offsetNs };
    }
    return best === undefined ? null : best.offsetNs / 1e6;
  } catch (err) {
    log.debug(`clock check failed: ${err instanceof Error ? err.message : String(err)}`);
    return null;
  } finally {
    await channel.close();
  }
}
