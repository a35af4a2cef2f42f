// One load connection: a Channel of its own (so N connections are N TCP/VSOCK connections, really
// distinct), whose reconnects are watched. The first connect failing means the server cannot be reached;
// a later one failing means it went away mid-run, which ends the run rather than spinning on errors.
import { dialer } from "../client/channel.ts";
import type { ConnectionPlan } from "../load/plan.ts";
import type { ClientKind, RpcChannel } from "../rpc/channel.ts";
import { createChannel } from "../rpc/open.ts";
import { type Address, authorityOf } from "../transport/address.ts";
import type { ClientTls } from "../transport/tls.ts";
import { VERSION } from "../version.ts";

export interface LoadConnection {
  readonly index: number;
  readonly slots: number;
  readonly channel: RpcChannel;
  /** Measured calls this connection carried. */
  calls: number;
}

export function openLoadConnection(
  address: Address,
  plan: ConnectionPlan,
  connectTimeoutMs: number,
  onLost: (reason: string) => void,
  client: ClientKind,
  tls?: ClientTls,
): LoadConnection {
  let connected = false;
  const secure = tls && revive(tls);
  const dial = dialer(address, connectTimeoutMs, secure);
  const channel = createChannel(client, {
    authority: authorityOf(address),
    userAgent: `grpcperf-bench/${VERSION}`,
    secure: secure !== undefined,
    handshakeTimeoutMs: connectTimeoutMs,
    connect: async () => {
      try {
        const socket = await dial();
        connected = true;
        return socket;
      } catch (err) {
        if (connected) onLost(err instanceof Error ? err.message : String(err));
        throw err;
      }
    },
  });
  return { index: plan.index, slots: plan.slots, channel, calls: 0 };
}

/** Settings posted to a load thread arrive structured-cloned: Buffers come back as plain Uint8Arrays. */
function revive(tls: ClientTls): ClientTls {
  const buf = (b: Uint8Array | undefined) => (b === undefined ? undefined : Buffer.from(b));
  return { ...tls, caPem: buf(tls.caPem), certPem: buf(tls.certPem), keyPem: buf(tls.keyPem) };
}
