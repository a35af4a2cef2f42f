import { describe, expect, test } from "bun:test";
import { formatAddress, parseAddress, VMADDR_CID_ANY } from "../../src/transport/address.ts";

describe("parseAddress", () => {
  test.each([
    ["127.0.0.1:50051", { kind: "tcp", host: "127.0.0.1", port: 50051 }],
    ["localhost:1", { kind: "tcp", host: "localhost", port: 1 }],
    ["[::1]:8080", { kind: "tcp", host: "::1", port: 8080 }],
    ["[fe80::1%eth0]:80", { kind: "tcp", host: "fe80::1%eth0", port: 80 }],
    ["dns:///example.com:443", { kind: "tcp", host: "example.com", port: 443 }],
    ["unix:///run/grpcperf.sock", { kind: "unix", path: "/run/grpcperf.sock" }],
    ["unix:rel/g.sock", { kind: "unix", path: "rel/g.sock" }],
    ["vsock://3:5000", { kind: "vsock", cid: 3, port: 5000 }],
    ["vsock://local:5000", { kind: "vsock", cid: 1, port: 5000 }],
    ["vsock://host:5000", { kind: "vsock", cid: 2, port: 5000 }],
    ["hvsock:///tmp/v.sock:52", { kind: "hvsock", path: "/tmp/v.sock", port: 52 }],
  ])("%s", (input, expected) => {
    const r = parseAddress(input);
    expect(r).toEqual({ ok: true, address: expected as never });
    if (r.ok) expect(parseAddress(formatAddress(r.address))).toEqual(r);
  });

  test("vsock any and port 0 are for listening only", () => {
    expect(parseAddress("vsock://any:9000", "listen")).toEqual({
      ok: true,
      address: { kind: "vsock", cid: VMADDR_CID_ANY, port: 9000 },
    });
    expect(parseAddress("vsock://any:9000", "connect").ok).toBe(false);
    expect(parseAddress("127.0.0.1:0", "listen").ok).toBe(true);
    expect(parseAddress("127.0.0.1:0", "connect").ok).toBe(false);
  });

  test.each([
    "",
    "localhost",
    "127.0.0.1:",
    "127.0.0.1:65536",
    "127.0.0.1:-1",
    "::1:80",
    "[::1]80",
    "[127.0.0.1]:80",
    "http://x:80",
    "unix://",
    "unix://relative",
    "vsock://x:1",
    "vsock://3",
    "vsock://3:4294967295",
    "hvsock:///tmp/v.sock",
    "bad host:80",
  ])("rejects %p with a message naming the forms", (input) => {
    const r = parseAddress(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain("host:port");
  });
});
