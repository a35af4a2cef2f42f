// VSOCK on this machine: create, bind, listen, getsockname and the CID ioctl only. NEVER connect here: this
// machine has no vsock loopback, and a connect would leave it. Real vsock traffic is tested in the VM
// (scripts/vm). Skipped where the kernel has no vsock at all; a failure under GRPCPERF_REQUIRE_ALL=1, as in CI.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { decodeSockaddr, sockaddrUn, sockaddrVm, VMADDR_CID_ANY } from "../../native/sockaddr.ts";
import { errnoName, localCid } from "../../native/socket.ts";
import { admits } from "../../src/server/server.ts";
import { parseAddress, parseCidList } from "../../src/transport/address.ts";
import { TransportError } from "../../src/transport/errors.ts";
import { listen } from "../../src/transport/index.ts";
import { bindListeningFd } from "../../src/transport/native.ts";
import type { Listener } from "../../src/transport/types.ts";
import { available } from "../support/require-env.ts";

const hasVsock = available("transport-vsock: /dev/vsock", existsSync("/dev/vsock"), "modprobe vsock");
// High, random ports: 5001, 5002 and 2024 are taken on this machine.
const port = () => 40_000 + Math.floor(Math.random() * 20_000);
const opened: Listener[] = [];
afterAll(() => Promise.all(opened.map((l) => l.close())));
const refuseAll = (s: { destroy(): void }) => s.destroy();

async function listenError(addr: Parameters<typeof listen>[0]): Promise<TransportError> {
  try {
    opened.push(await listen(addr, refuseAll));
  } catch (err) {
    if (err instanceof TransportError) return err;
    throw err;
  }
  throw new Error("listen succeeded");
}

describe("sockaddr layouts (pure)", () => {
  test("sockaddr_vm is 16 bytes: family 40, reserved, port, cid, zeros", () => {
    expect([...sockaddrVm(3, 0x01020304)]).toEqual([40, 0, 0, 0, 4, 3, 2, 1, 3, 0, 0, 0, 0, 0, 0, 0]);
    expect(decodeSockaddr(sockaddrVm(VMADDR_CID_ANY, 50051), 16)).toEqual({
      family: "vsock",
      cid: VMADDR_CID_ANY,
      port: 50051,
    });
  });

  test("sockaddr_un is family, path, NUL; overlong paths are refused", () => {
    const b = sockaddrUn("/tmp/x");
    expect(b.length).toBe(2 + 6 + 1);
    expect(decodeSockaddr(b, b.length)).toEqual({ family: "unix", path: "/tmp/x" });
    expect(() => sockaddrUn("x".repeat(108))).toThrow(RangeError);
  });

  test("errno names come from this platform's table", () => {
    expect(errnoName(98)).toBe("EADDRINUSE");
    expect(errnoName(11)).toBe("EAGAIN");
    expect(errnoName(99999)).toBe("errno 99999");
  });
});

describe("bad CID or port: one clear line from the parser", () => {
  test.each([
    ["vsock://guest:5000", 'CID "guest" is not a number, any, local or host'],
    ["vsock://3:4294967295", 'vsock port "4294967295" is not 0..4294967294'],
    ["vsock://3:-1", 'vsock port "-1" is not 0..4294967294'],
    ["vsock://3:0", "port 0 is only for listening"],
    ["vsock://any:5000", "CID any (VMADDR_CID_ANY) is only for listening"],
    ["hvsock:///tmp/v.sock:x", 'vsock port "x" is not a number'],
  ])("%s", (input, why) => {
    const r = parseAddress(input, "connect");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toStartWith(`bad address "${input}": ${why}`);
  });
});

describe("--allow-cid (pure)", () => {
  test("parses lists, names, and refuses junk", () => {
    const r = parseCidList("3, 16,host,local");
    expect(r.ok && [...r.cids].sort((a, b) => a - b)).toEqual([1, 2, 3, 16]);
    expect(parseCidList("3,x").ok).toBe(false);
    expect(parseCidList(",").ok).toBe(false);
    expect(parseCidList("any").ok).toBe(false);
  });

  test("only VSOCK peers are filtered, by CID", () => {
    const allow = new Set([3]);
    expect(admits({ kind: "vsock", cid: 3, port: 1 }, allow)).toBe(true);
    expect(admits({ kind: "vsock", cid: 4, port: 1 }, allow)).toBe(false);
    expect(admits({ kind: "vsock", cid: 4, port: 1 }, undefined)).toBe(true);
    expect(admits({ kind: "unix" }, allow)).toBe(true);
    expect(admits({ kind: "tcp", host: "127.0.0.1", port: 1 }, allow)).toBe(true);
  });
});

describe("an address family the kernel lacks", () => {
  test("EAFNOSUPPORT is one clear line", () => {
    // 45 is not an address family Linux implements; a kernel without vsock answers AF_VSOCK the same way.
    expect(() => bindListeningFd(45, sockaddrVm(1, 1), "vsock://1:1")).toThrow(
      "cannot listen on vsock://1:1: address family not supported by this kernel (EAFNOSUPPORT)",
    );
  });
});

describe.skipIf(!hasVsock)("VSOCK listening (no connects on this machine)", () => {
  test("the local CID ioctl answers a guest or host CID", () => {
    const r = localCid();
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.value).toBeGreaterThanOrEqual(2);
  });

  test("listen on any CID, a chosen port: the listener reports it", async () => {
    const p = port();
    const l = await listen({ kind: "vsock", cid: VMADDR_CID_ANY, port: p }, refuseAll);
    opened.push(l);
    expect(l.address).toEqual({ kind: "vsock", cid: VMADDR_CID_ANY, port: p });
  });

  test("port 0 picks a free port, as for TCP", async () => {
    const l = await listen({ kind: "vsock", cid: VMADDR_CID_ANY, port: 0 }, refuseAll);
    opened.push(l);
    expect(l.address.kind).toBe("vsock");
    if (l.address.kind === "vsock") {
      expect(l.address.port).toBeGreaterThan(1023);
      expect(l.address.port).toBeLessThan(0xffffffff);
    }
  });

  test("the same port twice → EADDRINUSE", async () => {
    const p = port();
    opened.push(await listen({ kind: "vsock", cid: VMADDR_CID_ANY, port: p }, refuseAll));
    const e = await listenError({ kind: "vsock", cid: VMADDR_CID_ANY, port: p });
    expect(e.errno).toBe("EADDRINUSE");
    expect(e.message).toBe(`cannot listen on vsock://any:${p}: address already in use (EADDRINUSE)`);
  });

  test("a CID that is not this machine's → EADDRNOTAVAIL, naming our CID", async () => {
    const own = localCid();
    const other = own.ok && own.value === 77 ? 78 : 77;
    const p = port();
    const e = await listenError({ kind: "vsock", cid: other, port: p });
    expect(e.errno).toBe("EADDRNOTAVAIL");
    expect(e.message).toStartWith(
      `cannot listen on vsock://${other}:${p}: address not available on this machine (EADDRNOTAVAIL)`,
    );
    if (own.ok) expect(e.message).toContain(`this machine's CID is ${own.value}`);
  });
});
