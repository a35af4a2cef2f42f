// The pure parts: limit flags → Limits, limits → grpc-js options, and when plaintext deserves a warning.
import { describe, expect, test } from "bun:test";
import { CliError } from "../../src/cli/args.ts";
import { limitsFromArgs, tlsFromServeArgs } from "../../src/cli/serve-options.ts";
import { DEFAULT_LIMITS, grpcServerOptions } from "../../src/server/limits.ts";
import { isLoopbackHost, plaintextExposureWarning } from "../../src/server/tls.ts";
import type { Address } from "../../src/transport/address.ts";

describe("limit flags", () => {
  test("no flags → the defaults (4 MiB messages, like grpc-go and tonic)", () => {
    expect(limitsFromArgs({})).toEqual(DEFAULT_LIMITS);
    expect(DEFAULT_LIMITS.maxReceiveMessageBytes).toBe(4 * 1024 * 1024);
  });

  test("each flag sets its limit", () => {
    const l = limitsFromArgs({
      "max-recv-msg-size": "16MiB",
      "max-send-msg-size": "1024",
      "max-concurrent-streams": "64",
      "max-connections": "500",
      "keepalive-time": "30s",
      "keepalive-timeout": "5s",
      "keepalive-min-time": "10s",
      "keepalive-permit-without-calls": true,
      "max-connection-idle": "5m",
      "max-connection-age": "1h",
      "max-connection-age-grace": "30s",
      "handshake-timeout": "10s",
      "max-conn-request-bytes": "8MiB",
      "max-request-bytes": "64MiB",
    });
    expect(l).toEqual({
      maxReceiveMessageBytes: 16 * 1024 * 1024,
      maxSendMessageBytes: 1024,
      maxConcurrentStreams: 64,
      maxConnections: 500,
      keepaliveTimeMs: 30_000,
      keepaliveTimeoutMs: 5_000,
      keepaliveMinTimeMs: 10_000,
      keepalivePermitWithoutCalls: true,
      maxConnectionIdleMs: 300_000,
      maxConnectionAgeMs: 3_600_000,
      maxConnectionAgeGraceMs: 30_000,
      handshakeTimeoutMs: 10_000,
      sendTimeoutMs: 60_000,
      maxConnectionRequestBytes: 8 * 1024 * 1024,
      maxRequestBytes: 64 * 1024 * 1024,
    });
  });

  test("bad values are CliErrors with exit code 2 naming the flag", () => {
    for (const [flag, value] of [
      ["max-recv-msg-size", "big"],
      ["max-concurrent-streams", "0"],
      ["keepalive-time", "often"],
    ] as const) {
      try {
        limitsFromArgs({ [flag]: value });
        throw new Error("accepted");
      } catch (err) {
        expect(err).toBeInstanceOf(CliError);
        expect((err as CliError).exitCode).toBe(2);
        expect((err as CliError).message).toContain(`--${flag}`);
      }
    }
  });

  test("0 (off) leaves the grpc-js option out, so grpc-js keeps it unlimited", () => {
    const o = grpcServerOptions(DEFAULT_LIMITS) as Record<string, number>;
    expect(o["grpc.max_receive_message_length"]).toBe(4 * 1024 * 1024);
    expect(o["grpc.max_concurrent_streams"]).toBe(DEFAULT_LIMITS.maxConcurrentStreams);
    expect("grpc.max_connection_idle_ms" in o).toBe(false);
    expect("grpc.max_connection_age_ms" in o).toBe(false);
  });

  test("TLS flags: key without cert, or a client CA alone, are refused", () => {
    expect(tlsFromServeArgs({})).toBeUndefined();
    expect(() => tlsFromServeArgs({ "tls-key": "k.pem" })).toThrow(CliError);
    expect(() => tlsFromServeArgs({ "tls-client-ca": "ca.pem" })).toThrow(CliError);
  });
});

describe("plaintext exposure warning", () => {
  const tcp = (host: string): Address => ({ kind: "tcp", host, port: 50051 });
  const crypto = ["grpcperf.v1.Echo", "grpcperf.v1.Crypto"];

  test.each(["127.0.0.1", "127.1.2.3", "::1", "localhost", "::ffff:127.0.0.1"])("%s is loopback", (h) => {
    expect(isLoopbackHost(h)).toBe(true);
  });
  test.each(["0.0.0.0", "::", "10.0.0.1", "example.com", "128.0.0.1"])("%s is not loopback", (h) => {
    expect(isLoopbackHost(h)).toBe(false);
  });

  test("Crypto in plaintext on 0.0.0.0 → a warning naming the address", () => {
    expect(plaintextExposureWarning([tcp("0.0.0.0")], crypto, false)).toContain("0.0.0.0:50051");
  });
  test("no warning with TLS, on loopback, on Unix or VSOCK, or without Crypto", () => {
    expect(plaintextExposureWarning([tcp("0.0.0.0")], crypto, true)).toBeUndefined();
    expect(plaintextExposureWarning([tcp("127.0.0.1")], crypto, false)).toBeUndefined();
    expect(plaintextExposureWarning([{ kind: "unix", path: "/tmp/s" }], crypto, false)).toBeUndefined();
    expect(plaintextExposureWarning([{ kind: "vsock", cid: 3, port: 5 }], crypto, false)).toBeUndefined();
    expect(plaintextExposureWarning([tcp("0.0.0.0")], ["grpcperf.v1.Echo"], false)).toBeUndefined();
  });
});
