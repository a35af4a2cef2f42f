// grpc.health.v1.Health: what grpc_health_probe, Kubernetes gRPC probes and load balancers ask.
// Our own implementation of the standard service (grpc-health-check's HealthImplementation reads its
// .proto from disk when imported, which a compiled binary cannot do); that package's client is the
// independent reference in the tests. The codecs come from the embedded descriptor set.
import type * as grpc from "@grpc/grpc-js";
import { describedMethod } from "./descriptors.ts";
import type { ServiceDef } from "./handler.ts";

const HEALTH_SERVICE = "grpc.health.v1.Health";

type ServingStatus = "SERVING" | "NOT_SERVING";
type WireStatus = ServingStatus | "SERVICE_UNKNOWN";

type Watcher = (status: WireStatus) => void;

/** The status of the whole server ("") and of each service, and the streams watching them. */
export class HealthState {
  private readonly statuses = new Map<string, ServingStatus>();
  private readonly watchers = new Map<string, Set<Watcher>>();
  private readonly watchCalls = new Set<grpc.ServerWritableStream<unknown, unknown>>();

  /** The server as a whole ("") and every named service start SERVING. */
  constructor(serviceNames: readonly string[]) {
    for (const name of ["", ...serviceNames]) this.statuses.set(name, "SERVING");
  }

  get(service: string): ServingStatus | undefined {
    return this.statuses.get(service);
  }

  set(service: string, status: ServingStatus): void {
    this.statuses.set(service, status);
    for (const w of this.watchers.get(service) ?? []) w(status);
  }

  all(): ReadonlyMap<string, ServingStatus> {
    return this.statuses;
  }

  /**
   * Draining: every status turns NOT_SERVING, watchers are told, then their streams end so they do not
   * hold the graceful shutdown open for the whole grace period.
   */
  drain(): void {
    for (const name of this.statuses.keys()) this.set(name, "NOT_SERVING");
    for (const call of this.watchCalls) call.end();
    this.watchCalls.clear();
  }

  watch(service: string, call: grpc.ServerWritableStream<unknown, unknown>): void {
    const watcher: Watcher = (status) => {
      if (!call.cancelled && call.writable) call.write({ status });
    };
    let set = this.watchers.get(service);
    if (!set) {
      set = new Set();
      this.watchers.set(service, set);
    }
    set.add(watcher);
    this.watchCalls.add(call);
    const stop = () => {
      set.delete(watcher);
      if (set.size === 0) this.watchers.delete(service);
      this.watchCalls.delete(call);
    };
    call.on("cancelled", stop);
    call.on("close", stop);
    call.on("error", stop);
    watcher(this.statuses.get(service) ?? "SERVICE_UNKNOWN");
  }
}

interface HealthCheckRequest {
  service?: string;
}

export function healthService(state: HealthState): ServiceDef {
  const check: grpc.handleUnaryCall<HealthCheckRequest, unknown> = (call, cb) => {
    const name = call.request.service ?? "";
    const status = state.get(name);
    if (status) cb(null, { status });
    else cb({ code: 5 /* NOT_FOUND */, details: `unknown service "${name}"` });
  };
  const watch: grpc.handleServerStreamingCall<HealthCheckRequest, unknown> = (call) => {
    state.watch(call.request.service ?? "", call);
  };
  const list: grpc.handleUnaryCall<unknown, unknown> = (_call, cb) => {
    // The descriptor round trip turns the map into its wire form, repeated key/value entries.
    const statuses = [...state.all()].map(([key, status]) => ({ key, value: { status } }));
    cb(null, { statuses });
  };
  return {
    name: HEALTH_SERVICE,
    methods: [
      describedMethod(HEALTH_SERVICE, "Check", check as grpc.UntypedHandleCall),
      describedMethod(HEALTH_SERVICE, "Watch", watch as grpc.UntypedHandleCall),
      describedMethod(HEALTH_SERVICE, "List", list as grpc.UntypedHandleCall),
    ],
  };
}
