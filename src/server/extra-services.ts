// More services for `serve`, from a module named by URL, so that tests can put a handler of their own (one
// that blocks its thread, say) into the real server, on every server thread. Functions cannot cross
// postMessage; a module URL can, and each thread imports it for itself.
import type { ServiceDef } from "./handler.ts";

/** The services the module's default export returns; none without a module. */
export async function extraServices(moduleUrl: string | undefined): Promise<ServiceDef[]> {
  if (moduleUrl === undefined) return [];
  const mod = (await import(moduleUrl)) as { default: () => ServiceDef[] };
  return mod.default();
}
