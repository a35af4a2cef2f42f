// Health and reflection answered to independent clients: grpc-health-check's own client definition, and
// a grpc-js client for grpc.reflection.v1/v1alpha built from @grpc/reflection's .proto files.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { service as healthServiceDefinition } from "grpc-health-check";
import { FileDescriptorProto } from "protobufjs/ext/descriptor";
import { echoService } from "../../src/server/echo.ts";
import { ROOT, serveOnLoopback, type TestServer } from "../support/helpers.ts";
import { probeService } from "../support/services.ts";

const HealthClient = grpc.makeClientConstructor(healthServiceDefinition, "Health");
type Unary = (req: object, cb: (err: grpc.ServiceError | null, res: Record<string, unknown>) => void) => void;

function reflectionClient(version: "v1" | "v1alpha", target: string) {
  const file = join(ROOT, `node_modules/@grpc/reflection/build/proto/grpc/reflection/${version}/reflection.proto`);
  const def = protoLoader.loadSync(file, { longs: String, enums: String, defaults: true, oneofs: true });
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    grpc: { reflection: Record<string, { ServerReflection: grpc.ServiceClientConstructor }> };
  };
  const versioned = pkg.grpc.reflection[version];
  if (!versioned) throw new Error(`no grpc.reflection.${version} in its .proto`);
  return new versioned.ServerReflection(target, grpc.credentials.createInsecure());
}

/** One request over a fresh ServerReflectionInfo stream; returns the single response. */
function reflect(client: grpc.Client, request: object): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const stream = (
      client as unknown as { ServerReflectionInfo(): grpc.ClientDuplexStream<object, object> }
    ).ServerReflectionInfo();
    let got: Record<string, unknown> | undefined;
    stream.on("data", (r: Record<string, unknown>) => {
      got = r;
    });
    stream.on("error", reject);
    stream.on("end", () => (got ? resolve(got) : reject(new Error("no response"))));
    stream.write(request);
    stream.end();
  });
}

let srv: TestServer;
let health: grpc.Client;
beforeAll(async () => {
  srv = await serveOnLoopback([echoService(), probeService()]);
  health = new HealthClient(srv.target, grpc.credentials.createInsecure());
});
afterAll(async () => {
  health.close();
  await srv.stop();
});

const check = (service: string) =>
  new Promise<{ err: grpc.ServiceError | null; res?: Record<string, unknown> }>((resolve) =>
    (health as unknown as { check: Unary }).check({ service }, (err, res) => resolve({ err, res })),
  );

describe("grpc.health.v1.Health (grpc-health-check client)", () => {
  test.each(["", "grpcperf.v1.Echo", "grpcperf.test.Probe"])("Check(%p) → SERVING", async (service) => {
    const { err, res } = await check(service);
    expect(err).toBeNull();
    expect(res?.status).toBe("SERVING");
  });

  test("unknown service → NOT_FOUND", async () => {
    const { err } = await check("grpcperf.v1.Nope");
    expect(err?.code).toBe(grpc.status.NOT_FOUND);
  });

  test("List names every registered service", async () => {
    const res = await new Promise<Record<string, unknown>>((resolve, reject) =>
      (health as unknown as { list: Unary }).list({}, (err, r) => (err ? reject(err) : resolve(r))),
    );
    const statuses = res.statuses as Record<string, { status: string }>;
    expect(Object.keys(statuses).sort()).toEqual(["", "grpcperf.test.Probe", "grpcperf.v1.Echo"]);
  });

  test("Watch sends the current status, then NOT_SERVING when the server drains", async () => {
    const s = await serveOnLoopback([echoService()]);
    const client = new HealthClient(s.target, grpc.credentials.createInsecure());
    const stream = (client as unknown as { watch(r: object): grpc.ClientReadableStream<{ status: string }> }).watch({
      service: "grpcperf.v1.Echo",
    });
    const seen: string[] = [];
    const ended = new Promise<void>((resolve) => {
      stream.on("data", (r) => {
        seen.push(r.status);
        if (seen.length === 1) void s.server.shutdown(5_000);
      });
      stream.on("error", () => resolve());
      stream.on("end", () => resolve());
    });
    await ended;
    client.close();
    expect(seen).toEqual(["SERVING", "NOT_SERVING"]);
  });
});

describe.each(["v1", "v1alpha"] as const)("grpc.reflection.%s (grpc-js client)", (version) => {
  let client: grpc.Client;
  beforeAll(() => {
    client = reflectionClient(version, srv.target);
  });
  afterAll(() => client.close());

  test("list_services names Echo, health and reflection", async () => {
    const r = await reflect(client, { listServices: "*" });
    const names = ((r.listServicesResponse as { service: { name: string }[] }).service ?? []).map((s) => s.name);
    expect(names).toContain("grpcperf.v1.Echo");
    expect(names).toContain("grpc.health.v1.Health");
    expect(names).toContain(`grpc.reflection.${version}.ServerReflection`);
    expect(names).not.toContain("grpcperf.v1.Crypto"); // described, but not registered here
  });

  test("file_containing_symbol describes the Echo service and its messages", async () => {
    const r = await reflect(client, { fileContainingSymbol: "grpcperf.v1.Echo" });
    type Named = { name?: string };
    type File = { service?: (Named & { method?: Named[] })[]; messageType?: Named[] };
    const files = (r.fileDescriptorResponse as { fileDescriptorProto: Buffer[] }).fileDescriptorProto.map(
      (b) => FileDescriptorProto.decode(b) as unknown as File,
    );
    const services = files.flatMap((f) => f.service ?? []);
    const echo = services.find((s) => s.name === "Echo");
    expect(echo?.method?.map((m) => m.name).sort()).toEqual(["Echo", "EchoStream"]);
    const messages = files.flatMap((f) => (f.messageType ?? []).map((m) => m.name));
    expect(messages).toContain("EchoRequest");
    expect(messages).toContain("EchoResponse");
  });

  test("map fields are described as protoc does (strict clients such as grpcurl refuse otherwise)", async () => {
    const r = await reflect(client, { fileContainingSymbol: "grpc.health.v1.Health" });
    type Msg = { name?: string; field?: { typeName?: string }[]; nestedType?: Msg[]; options?: { mapEntry?: boolean } };
    const files = (r.fileDescriptorResponse as { fileDescriptorProto: Buffer[] }).fileDescriptorProto.map(
      (b) => FileDescriptorProto.decode(b) as unknown as { messageType?: Msg[] },
    );
    const list = files.flatMap((f) => f.messageType ?? []).find((m) => m.name === "HealthListResponse");
    const entry = list?.nestedType?.find((n) => n.options?.mapEntry);
    expect(entry?.name).toBe("StatusesEntry");
    expect(list?.field?.[0]?.typeName).toMatch(/(^|\.)StatusesEntry$/);
  });

  test("an unknown symbol → error_response NOT_FOUND", async () => {
    const r = await reflect(client, { fileContainingSymbol: "no.such.Thing" });
    expect((r.errorResponse as { errorCode: number }).errorCode).toBe(grpc.status.NOT_FOUND);
  });
});
