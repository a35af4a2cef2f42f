// --codec json: the workload's request bodies as proto3 JSON text, transcoded once per thread before the
// run (and per call only for a -d template), so the loops send JSON at the cost of sending protobuf.
import { methodTypes } from "../api/message-types.ts";
import type { WireFormat } from "../protocol/wire.ts";
import { binaryToJson } from "../schema/transcode.ts";
import type { Workload } from "./workload.ts";

export function bodiesOnTheWire(workloads: Workload[], wire: WireFormat): Workload[] {
  if (wire.codec !== "json") return workloads;
  return workloads.map((w) => {
    const type = methodTypes(w.path)?.request;
    // options.ts lets --codec json through only for grpcperf's own methods.
    if (type === undefined) throw new Error(`--codec json: no schema for ${w.path}`);
    const json = (b: Uint8Array): Buffer => {
      const r = binaryToJson(type, b);
      if (!r.ok) throw new Error(`--codec json: ${r.error}`);
      return Buffer.from(r.bytes);
    };
    const make = w.make;
    return { ...w, bodies: w.bodies.map(json), ...(make ? { make: () => json(make()) } : {}) };
  });
}
