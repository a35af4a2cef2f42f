// One grpc.health.v1.Health/Check over the thin client: what `call health` and scripts use.
import { serviceDefinition } from "../api/descriptors.ts";
import type { RpcChannel } from "../rpc/channel.ts";
import { fail, type Result, Status } from "../rpc/status.ts";

type HealthStatus = "UNKNOWN" | "SERVING" | "NOT_SERVING" | "SERVICE_UNKNOWN";

export async function checkHealth(
  channel: RpcChannel,
  service: string,
  timeoutMs: number,
): Promise<Result<HealthStatus>> {
  const method = serviceDefinition("grpc.health.v1.Health").Check;
  if (!method) return fail(Status.INTERNAL, "Health/Check missing from the embedded descriptors");
  const r = await channel.unary(method.path, method.requestSerialize({ service }), { timeoutMs });
  if (!r.ok) return r;
  try {
    const res = method.responseDeserialize(r.value) as { status?: string };
    return { ok: true, value: (res.status ?? "UNKNOWN") as HealthStatus };
  } catch (err) {
    return fail(Status.INTERNAL, `cannot decode health response: ${(err as Error).message}`);
  }
}
