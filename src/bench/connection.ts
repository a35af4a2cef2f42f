// One load connection: a Channel of its own (so N connections are N TCP/VSOCK connections, really
// distinct), which reconnects with gRPC's backoff when the server goes away (rpc/reconnect.ts) and tells
// the thread's outage record what it sees. The first connect failing means the server cannot be reached
// (nothing is timed yet); with --stop-on-loss a later one failing ends the run, as grpcperf did before.
import { dialer } from "../client/channel.ts";
import type { ConnectionPlan } from "../load/plan.ts";
import type { WireFormat } from "../protocol/wire.ts";
import type { ClientKind } from "../rpc/channel.ts";
import { type LinkEvents, ReconnectingChannel, type ReconnectSettings } from "../rpc/reconnect.ts";
import { type Address, authorityOf } from "../transport/address.ts";
import type { ClientTls } from "../transport/tls.ts";
import { VERSION } from "../version.ts";

export interface LoadConnection {
  readonly index: number;
  readonly slots: number;
  readonly channel: ReconnectingChannel;
  /** Measured calls this connection carried. */
  calls: number;
}

interface LoadLink {
  readonly address: Address;
  readonly connectTimeoutMs: number;
  readonly client: ClientKind;
  readonly wire: WireFormat;
  readonly http1: boolean;
  readonly tls?: ClientTls;
  readonly reconnect: ReconnectSettings;
}

export function openLoadConnection(
  link: LoadLink,
  plan: ConnectionPlan,
  events: LinkEvents,
  /** --stop-on-loss: a failed reconnect ends the run. */
  onLost?: (reason: string) => void,
): LoadConnection {
  let connected = false;
  const secure = link.tls && revive(link.tls);
  // The lean client on Bun's own socket (transport/light-socket.ts): node:stream's Readable and Writable
  // were a tenth of a load thread's CPU (docs/performance.md, "Loader cost (issue 31)").
  const dial = dialer(link.address, link.connectTimeoutMs, secure, link.client === "lean", link.http1);
  const watched: LinkEvents = {
    ...events,
    connectFailed: (at, reason) => {
      if (connected) onLost?.(reason);
      events.connectFailed?.(at, reason);
    },
  };
  const channel = new ReconnectingChannel(
    link.client,
    {
      authority: authorityOf(link.address),
      userAgent: `grpcperf-bench/${VERSION}`,
      secure: secure !== undefined,
      handshakeTimeoutMs: link.connectTimeoutMs,
      wire: link.wire,
      http1: link.http1,
      connect: async () => {
        const socket = await dial();
        connected = true;
        return socket;
      },
    },
    link.reconnect,
    watched,
  );
  return { index: plan.index, slots: plan.slots, channel, calls: 0 };
}

/** Settings posted to a load thread arrive structured-cloned: Buffers come back as plain Uint8Arrays. */
function revive(tls: ClientTls): ClientTls {
  const buf = (b: Uint8Array | undefined) => (b === undefined ? undefined : Buffer.from(b));
  return { ...tls, caPem: buf(tls.caPem), certPem: buf(tls.certPem), keyPem: buf(tls.keyPem) };
}
