// `call echo`'s quick path reads a plain command line as citty reads it, and leaves every other line to the
// command table (whose errors and help test/cli/cli.test.ts checks on the binary).
import { describe, expect, test } from "bun:test";
import { parseArgs } from "citty";
import { quickEchoArgs } from "../../src/cli/call/echo-quick.ts";
import { echoArgs } from "../../src/cli/call/echo-run.ts";

/** citty's parse, with only the names echo's code reads (the kebab-case names, and the positional words). */
function viaCitty(tokens: string[]): Record<string, unknown> {
  const parsed = parseArgs(tokens, echoArgs) as Record<string, unknown>;
  const out: Record<string, unknown> = { _: parsed._ };
  for (const name of Object.keys(echoArgs)) if (parsed[name] !== undefined) out[name] = parsed[name];
  return out;
}

describe("quickEchoArgs", () => {
  test("plain lines: the flags citty gives", () => {
    const lines = [
      [],
      ["--count", "1"],
      ["-n", "1", "--server", "127.0.0.1:50051"],
      ["--server=unix:///tmp/s.sock", "--json", "-m", "hi there"],
      ["--message=-starts-with-a-dash", "--payload-size", "1KiB", "--timeout", "2s"],
      ["-s", "[::1]:9", "--server-delay", "5ms", "--server-busy", "500us", "--wait-for-ready"],
      ["--tls", "--insecure", "--server-name", "x", "--cacert", "ca.pem", "--cert", "c.pem", "--cert-key", "k.pem"],
      ["--plaintext", "--log-level", "debug", "--client", "http2", "--max-msg-sz", "16MiB"],
      ["--user-agent", "probe/1", "--authority", "example:80", "--connect-timeout", "1s"],
      ["-m", "héllo wörld", "--count=3"],
    ];
    for (const line of lines) expect(quickEchoArgs(line) as Record<string, unknown>).toEqual(viaCitty(line));
  });

  test("anything else is left to the command table", () => {
    const lines = [
      ["--help"],
      ["-h"],
      ["--count", "1", "--help"],
      ["--cuont", "3"],
      ["-n"],
      ["--count"],
      ["--count", "-1"],
      ["--message", "-x"],
      ["--count="],
      ["--json=false"],
      ["--no-json"],
      ["--count", "1", "--count", "2"],
      ["-n", "1", "--count", "2"],
      ["127.0.0.1:50051"],
      ["--", "x"],
      ["-"],
      ["-n1"],
      ["-mn", "x"],
      ["-d", "{}"],
      ["--key", "k"],
      ["-plaintext"],
      ["--payloadSize", "10"],
      ["--__proto__", "x"],
      ["--toString", "x"],
    ];
    for (const line of lines) expect(quickEchoArgs(line)).toBeUndefined();
  });
});
