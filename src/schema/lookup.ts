// `pkg.Service/Method` (grpcurl's and the wire's spelling) or `pkg.Service.Method` to a method of the Root.
import protobuf from "protobufjs";
import { nearest } from "../text/nearest.ts";
import type { Checked } from "./checked.ts";

export interface MethodInfo {
  readonly service: string; // full name, no leading dot
  readonly method: string;
  readonly path: string; // "/pkg.Service/Method", the HTTP/2 :path
  readonly requestType: protobuf.Type;
  readonly responseType: protobuf.Type;
  readonly clientStreaming: boolean;
  readonly serverStreaming: boolean;
}

const fullName = (o: protobuf.ReflectionObject) => o.fullName.replace(/^\./, "");

/** Every service in the Root, by full name (no leading dot), in definition order. */
export function listServices(root: protobuf.Root): protobuf.Service[] {
  const out: protobuf.Service[] = [];
  const walk = (ns: protobuf.NamespaceBase) => {
    for (const o of ns.nestedArray) {
      if (o instanceof protobuf.Service) out.push(o);
      else if (o instanceof protobuf.Namespace) walk(o);
    }
  };
  walk(root);
  return out;
}

export function lookupMethod(root: protobuf.Root, symbol: string): Checked<{ method: MethodInfo }> {
  const s = symbol.replace(/^\//, "").replace(/^\./, "");
  const services = new Map(listServices(root).map((x) => [fullName(x), x]));
  const slash = s.indexOf("/");
  let serviceName: string;
  let methodName: string;
  if (slash >= 0) {
    serviceName = s.slice(0, slash);
    methodName = s.slice(slash + 1);
  } else {
    const dot = s.lastIndexOf(".");
    if (dot < 0) return { ok: false, error: `${symbol}: expected pkg.Service/Method or pkg.Service.Method` };
    serviceName = s.slice(0, dot);
    methodName = s.slice(dot + 1);
  }
  const service = services.get(serviceName);
  if (service === undefined) {
    const near = nearestList(serviceName, [...services.keys()]);
    return { ok: false, error: `unknown service ${serviceName}${near}` };
  }
  const m = service.methods[methodName];
  if (m === undefined) {
    const near = nearestList(methodName, Object.keys(service.methods));
    return { ok: false, error: `unknown method ${methodName} in service ${serviceName}${near}` };
  }
  m.resolve();
  const requestType = m.resolvedRequestType;
  const responseType = m.resolvedResponseType;
  if (requestType === null || responseType === null) {
    return { ok: false, error: `${serviceName}/${methodName}: its message types do not resolve` };
  }
  return {
    ok: true,
    method: {
      service: serviceName,
      method: methodName,
      path: `/${serviceName}/${methodName}`,
      requestType,
      responseType,
      clientStreaming: m.requestStream === true,
      serverStreaming: m.responseStream === true,
    },
  };
}

// The nearest name by edit distance, and also every name sharing the last segment (a wrong package).
function nearestList(word: string, names: readonly string[]): string {
  const found = new Set<string>();
  const n = nearest(word, names);
  if (n !== undefined) found.add(n);
  const last = word.slice(word.lastIndexOf(".") + 1).toLowerCase();
  for (const name of names) if (name.slice(name.lastIndexOf(".") + 1).toLowerCase() === last) found.add(name);
  if (found.size > 0) return ` (did you mean ${[...found].join(" or ")}?)`;
  return names.length > 0 ? ` (known: ${names.slice(0, 8).join(", ")}${names.length > 8 ? ", …" : ""})` : "";
}
