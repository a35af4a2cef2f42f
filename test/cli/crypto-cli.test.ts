// The compiled binary (signing workers included) as a user runs it, from another directory, at trace log
// level; and proof that no private key material reaches a response, stdout or the log.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { opensslVerifies, tempDir, writeKey } from "../support/crypto-fixtures.ts";
import { requireBinary, waitForLine } from "../support/helpers.ts";

const cwd = tempDir("crypto-cli");
const keyDir = tempDir("crypto-cli-keys");
const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: cwd };

const keys: Record<string, KeyObject> = {
  "a-rsa": generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey,
  "b-p256": generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey,
  "c-p384": generateKeyPairSync("ec", { namedCurve: "P-384" }).privateKey,
};
writeKey(keyDir, "a-rsa.pem", String(keys["a-rsa"]?.export({ type: "pkcs1", format: "pem" })));
writeKey(keyDir, "b-p256.pem", String(keys["b-p256"]?.export({ type: "sec1", format: "pem" })), 0o644);
writeKey(keyDir, "c-p384.pem", String(keys["c-p384"]?.export({ type: "pkcs8", format: "pem" })));

/** Ways a private key could be written down: its PEM body lines (PKCS#8 and the traditional format), and
 * each secret JWK field in hex, base64 and base64url. Public parts (n, e, the EC point) are left out. */
function secretForms(key: KeyObject): string[] {
  const forms: string[] = [];
  for (const type of ["pkcs8", key.asymmetricKeyType === "rsa" ? "pkcs1" : "sec1"] as const) {
    const body = String(key.export({ type, format: "pem" }))
      .split("\n")
      .slice(1, -2);
    forms.push(...body.filter((line) => line.length >= 40));
  }
  const jwk = key.export({ format: "jwk" }) as Record<string, string>;
  for (const field of ["d", "p", "q", "dp", "dq", "qi"]) {
    const v = jwk[field];
    if (!v) continue;
    const bytes = Buffer.from(v, "base64url");
    forms.push(v.slice(0, 24), bytes.toString("base64").slice(0, 24), bytes.toString("hex").slice(0, 32));
  }
  return forms;
}

function leaked(text: string, key: KeyObject): string | undefined {
  return secretForms(key).find((form) => text.includes(form));
}

let server: Subprocess<"ignore", "pipe", "pipe">;
let target: string;
let serverLog: Promise<void>;
const serverLines: string[] = [];
const outputs: string[] = [];

async function drain(stream: ReadableStream<Uint8Array>, lines: string[]): Promise<void> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let text = "";
  for (let r = await reader.read(); !r.done; r = await reader.read()) text += decoder.decode(r.value, { stream: true });
  lines.push(...text.split("\n"));
}

function run(args: string[], extraEnv: Record<string, string> = {}) {
  const p = Bun.spawnSync([requireBinary(), ...args], {
    cwd,
    env: { ...env, LOG_LEVEL: "trace", ...extraEnv },
    stdout: "pipe",
    stderr: "pipe",
  });
  const r = { code: p.exitCode, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
  outputs.push(r.stdout, r.stderr);
  return r;
}

beforeAll(async () => {
  server = Bun.spawn([requireBinary(), "serve", "--addr", "127.0.0.1:0", "--crypto-workers", "2", "--workers", "1"], {
    cwd,
    env: { ...env, KEY_DIR: keyDir, LOG_LEVEL: "trace" },
    stdout: "pipe",
    stderr: "pipe",
  });
  const m = await waitForLine(server.stderr, /serving .* on (\S+)/, serverLines);
  target = m[1] as string;
  // Keep reading: a trace-level server must never block on a full stderr pipe.
  serverLog = drain(server.stderr, serverLines);
});
afterAll(() => {
  if (server.exitCode === null) server.kill("SIGKILL");
});

describe("crypto subcommands in the compiled binary", () => {
  test("start-up: warns about the group-readable key file, names the pool", () => {
    const text = serverLines.join("\n");
    expect(text).toMatch(/WARN .*b-p256\.pem is readable by group or others \(mode 0644\)/);
    expect(text).toContain("3 keys from");
    expect(text).toContain("signing on 2 workers");
  });

  test("call smoke: 4 echoes, 2 signatures, 1 public key, each with a latency; exit 0", () => {
    const r = run(["call", "smoke", "--server", target]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(7);
    for (const l of lines) expect(l).toMatch(/ ok +\d+ µs /);
    expect(lines.map((l) => l.split(/\s{2,}| ok /)[0]?.trim())).toEqual([
      "echo #1",
      "echo #2",
      "echo #3",
      "echo #4",
      "sign rsa-pkcs1",
      "sign ecdsa-p256",
      "pubkey rsa",
    ]);
  });

  test("call keys lists id, algorithm and bits", () => {
    const r = run(["call", "keys", "--server", target, "--json"]);
    expect(r.code).toBe(0);
    const rows = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(rows).toEqual([
      { key_id: "a-rsa", algorithm: "RSA_PKCS1_SHA256", bits: 2048 },
      { key_id: "a-rsa", algorithm: "RSA_PSS_SHA256", bits: 2048 },
      { key_id: "b-p256", algorithm: "ECDSA_P256_SHA256", bits: 256 },
      { key_id: "c-p384", algorithm: "ECDSA_P384_SHA384", bits: 384 },
    ]);
  });

  test.each([
    ["rsa-pkcs1", "a-rsa"],
    ["rsa-pss", "a-rsa"],
    ["ecdsa-p256", "b-p256"],
    ["ecdsa-p384", "c-p384"],
  ] as const)("call sign --alg %s, then pubkey --pem, openssl verify and call verify", (alg, keyId) => {
    const data = `message for ${alg}`;
    const s = run(["call", "sign", "--server", target, "--alg", alg, "--data", data, "--out", `${alg}.sig`, "--json"]);
    expect(s.code).toBe(0);
    const json = JSON.parse(s.stdout);
    expect(json.key_id).toBe(keyId);
    const sig = readFileSync(join(cwd, `${alg}.sig`));
    expect(sig.toString("hex")).toBe(json.signature_hex);

    const p = run([
      "call",
      "pubkey",
      "--server",
      target,
      "--alg",
      alg,
      "--pem",
      `${alg}.pub.pem`,
      "--der",
      `${alg}.pub.der`,
    ]);
    expect(p.code).toBe(0);
    expect(opensslVerifies(alg, readFileSync(join(cwd, `${alg}.pub.pem`), "utf8"), Buffer.from(data), sig)).toBe(true);
    const pj = JSON.parse(run(["call", "pubkey", "--server", target, "--alg", alg, "--json"]).stdout);
    expect(Buffer.from(pj.spki_der_hex, "hex").equals(readFileSync(join(cwd, `${alg}.pub.der`)))).toBe(true);

    const ok = run([
      "call",
      "verify",
      "--server",
      target,
      "--alg",
      alg,
      "--data",
      data,
      "--signature-file",
      `${alg}.sig`,
    ]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("valid");
    const bad = run([
      "call",
      "verify",
      "--server",
      target,
      "--alg",
      alg,
      "--data",
      "other",
      "--signature",
      json.signature_hex,
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain("INVALID");
  });

  test("sign --digest --raw: 64 bytes for P-256; pubkey without a file prints the PEM", () => {
    const digest = "ab".repeat(32);
    const r = run(["call", "sign", "--server", target, "--alg", "ecdsa-p256", "--digest", digest, "--raw"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ECDSA_P256_SHA256 key=b-p256 raw 64 bytes in \d+ µs: [0-9a-f]{128}\n$/);
    const p = run(["call", "pubkey", "--server", target, "--key", "c-p384"]);
    expect(p.code).toBe(0);
    expect(p.stdout).toStartWith("-----BEGIN PUBLIC KEY-----");
  });

  test("failures: status on stdout, exit 1; bad flags: one line on stderr, exit 2", () => {
    const notFound = run(["call", "sign", "--server", target, "--key", "missing", "--data", "x"]);
    expect(notFound.code).toBe(1);
    expect(notFound.stdout).toContain("NOT_FOUND");
    const shortDigest = run(["call", "sign", "--server", target, "--alg", "ecdsa-p384", "--digest", "00ff"]);
    expect(shortDigest.code).toBe(1);
    expect(shortDigest.stdout).toContain("INVALID_ARGUMENT");
    for (const args of [
      ["call", "sign", "--server", target, "--data", "x"],
      ["call", "sign", "--server", target, "--alg", "md5", "--data", "x"],
      ["call", "sign", "--server", target, "--alg", "rsa-pss"],
      ["call", "sign", "--server", target, "--alg", "rsa-pss", "--digest", "xyz"],
      ["call", "verify", "--server", target, "--alg", "rsa-pss", "--data", "x"],
      ["call", "pubkey", "--server", target],
    ]) {
      const r = run(args);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
    }
  });

  test("--help for each crypto subcommand", () => {
    for (const sub of ["sign", "verify", "pubkey", "keys", "smoke"]) {
      const r = run(["call", sub, "--help"]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("USAGE");
    }
  });

  test("SIGTERM: the server stops its workers and exits 0", async () => {
    server.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    await serverLog;
    expect(serverLines.join("\n")).toContain("INFO  stopped");
  });

  test("no private key material in any response, output or trace-level log line", () => {
    const everything = [...serverLines, ...outputs].join("\n");
    expect(everything).toContain("TRACE"); // the log really was at trace level
    expect(everything).toMatch(/TRACE .*Sign ECDSA_P384_SHA384 key=c-p384/);
    for (const [id, key] of Object.entries(keys)) {
      // the detector finds the key where it is written down...
      expect(leaked(readFileSync(join(keyDir, `${id}.pem`), "utf8"), key)).toBeDefined();
      expect(leaked(JSON.stringify(key.export({ format: "jwk" })), key)).toBeDefined();
      expect(
        leaked(Buffer.from(key.export({ format: "jwk" }).d ?? "", "base64url").toString("hex"), key),
      ).toBeDefined();
      // ...and not anywhere the server or the client wrote
      expect(leaked(everything, key)).toBeUndefined();
    }
  });
});

describe("serve: crypto start-up problems are one line and an exit code", () => {
  test.each([
    [["--key-dir", "/nonexistent/grpcperf-keys"], 1, "cannot read key directory"],
    [["--crypto-workers", "many"], 2, "--crypto-workers"],
    [["--crypto-queue", "-1"], 2, "--crypto-queue"],
  ])("serve %p → exit %d", (flags, code, text) => {
    const r = run(["serve", "--addr", "127.0.0.1:0", ...flags]);
    expect(r.code).toBe(code);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain(text);
  });

  test("a bad key file is named, its contents are not", () => {
    const dir = tempDir("bad-key");
    const junk =
      "-----BEGIN PRIVATE KEY-----\nTUlJRXZRSUJBREFOQmdrcWhraUc5dzBCQVFFRkFBU0NCS2N3Z2dTakFnRUFBb0lCQVFD\n-----END PRIVATE KEY-----\n";
    writeKey(dir, "junk.pem", junk);
    const r = run(["serve", "--addr", "127.0.0.1:0", "--key-dir", dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("junk.pem");
    expect(r.stderr).not.toContain("TUlJRXZR");
  });

  test("--crypto-workers 0 signs on the event loop, in the binary too", async () => {
    const s = Bun.spawn(
      [requireBinary(), "serve", "--addr", "127.0.0.1:0", "--crypto-workers", "0", "--workers", "1"],
      {
        cwd,
        env,
        stdout: "ignore",
        stderr: "pipe",
      },
    );
    try {
      const lines: string[] = [];
      const m = await waitForLine(s.stderr, /serving .* on (\S+)/, lines);
      expect(lines.join("\n")).toContain("signing inline on the event loop");
      const r = run(["call", "sign", "--server", m[1] as string, "--alg", "ecdsa-p384", "--data", "x"]);
      expect(r.code).toBe(0);
    } finally {
      s.kill("SIGKILL");
    }
  });
});
