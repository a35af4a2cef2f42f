// Address helpers the transports add on top of the parser (the parser's own cases are in address.test.ts).
import { describe, expect, test } from "bun:test";
import { type Address, parseAddress, transportMismatch } from "../../src/transport/address.ts";

const addr = (text: string): Address => {
  const r = parseAddress(text);
  if (!r.ok) throw new Error(r.error);
  return r.address;
};

describe("bench --transport agrees with the address", () => {
  test.each([
    ["tcp", "127.0.0.1:50051"],
    ["unix", "unix:///run/g.sock"],
    ["uds", "unix:rel.sock"],
    ["vsock", "vsock://3:50051"],
    ["VSOCK", "vsock://local:50051"],
    ["hvsock", "hvsock:///run/fc/v.sock:52"],
    ["firecracker", "hvsock:///run/fc/v.sock:52"],
  ])("%s with %s", (name, text) => {
    expect(transportMismatch(name, addr(text))).toBeUndefined();
  });

  test("a mismatch names both sides", () => {
    expect(transportMismatch("vsock", addr("unix:///run/g.sock"))).toBe(
      "--transport vsock does not match the address unix:///run/g.sock, which is unix",
    );
  });

  test("an unknown name lists the known ones", () => {
    expect(transportMismatch("quic", addr("127.0.0.1:1"))).toBe(
      'unknown transport "quic" (use tcp, unix, uds, vsock, hvsock, firecracker)',
    );
  });
});
