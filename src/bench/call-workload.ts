// `bench --call`: the workload of any unary method, as it crosses to the load threads (plain data:
// encoded bodies, or a -d template with its schema as protobufjs JSON) and as a thread rebuilds it.
import protobuf from "protobufjs";
import { encodeJson } from "../schema/json.ts";
import { compileTemplate } from "./template.ts";

export interface CallSpec {
  /** The report's label and the method: `pkg.Service/Method`. */
  readonly label: string;
  /** The HTTP/2 :path, `/pkg.Service/Method`. */
  readonly path: string;
  /** Requests encoded once before the run (-d without placeholders: one; --data-file: one a line). */
  readonly bodies: readonly Uint8Array[];
  /** -d with placeholders: filled and encoded per call in the thread. */
  readonly template?: CallTemplate;
}

interface CallTemplate {
  readonly text: string;
  /** protobufjs Root.toJSON() of the schema, and the request type's full name within it. */
  readonly schema: protobuf.INamespace;
  readonly requestType: string;
}

/** The method's calls as the loops send them: one of workload.ts's Workloads, declared here so that this module
 * needs nothing of workload.ts (which builds it). */
interface CallWorkload {
  readonly service: string;
  readonly path: string;
  readonly bodies: readonly Buffer[];
  readonly make?: () => Buffer;
}

/** Gives each call its request number, 0-based over all threads (a shared counter). */
export type NextNumber = () => number;

/** The request type inside a schema that crossed postMessage as JSON. */
export function reviveType(t: CallTemplate): protobuf.Type {
  const root = protobuf.Root.fromJSON(t.schema);
  root.resolveAll();
  return root.lookupType(t.requestType);
}

/** Bodies arrive structured-cloned as Uint8Array; a Buffer view over the same bytes, no copy. */
const asBuffer = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

export function buildCallWorkload(spec: CallSpec, nextNumber: NextNumber, workerId = 0): CallWorkload {
  const bodies = spec.bodies.map(asBuffer);
  if (spec.template === undefined) return { service: spec.label, path: spec.path, bodies };
  const type = reviveType(spec.template);
  const compiled = compileTemplate(spec.template.text);
  // Checked on the coordinating thread before any thread started; failing here is a bug.
  if (!compiled.ok) throw new Error(`-d template: ${compiled.error}`);
  const template = compiled.template;
  return {
    service: spec.label,
    path: spec.path,
    bodies,
    make() {
      const requestNumber = nextNumber();
      const value = template.render({ requestNumber, workerId });
      // ghz's -d '[…]' with placeholders: request k is element k mod length.
      const r = encodeJson(type, Array.isArray(value) ? value[requestNumber % value.length] : value);
      if (!r.ok) throw new Error(`-d template, request ${requestNumber}: ${r.error}`);
      return asBuffer(r.bytes);
    },
  };
}
