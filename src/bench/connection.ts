// One load connection: a Channel of its own (so N connections are N TCP/VSOCK connections, really
// distinct), whose reconnects are watched. The first connect failing means the server cannot be reached;
// a later one failing means it went away mid-run, which ends the run rather than spinning on errors.
import { Channel } from "../rpc/client.ts";
import { type Address, authorityOf } from "../transport/address.ts";
import { connect } from "../transport/index.ts";
import { VERSION } from "../version.ts";
import type { ConnectionPlan } from "./plan.ts";

export interface LoadConnection {
  readonly index: number;
  readonly slots: number;
  readonly channel: Channel;
  /** Measured calls this connection carried. */
  calls: number;
}

export function openLoadConnection(
  address: Address,
  plan: ConnectionPlan,
  connectTimeoutMs: number,
  onLost: (reason: string) => void,
): LoadConnection {
  let connected = false;
  const channel = new Channel({
    authority: authorityOf(address),
    userAgent: `grpcperf-bench/${VERSION}`,
    connect: async () => {
      try {
        const socket = await connect(address, { timeoutMs: connectTimeoutMs });
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
