// Certificates made by the openssl CLI for a test run: two CAs, and leaf certificates
// (serverAuth+clientAuth, for localhost and 127.0.0.1) that they sign.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Pki {
  /** The folder holding the files. */
  readonly dir: string;
  /** PEM file contents by name: ca.crt, server.crt/key, client.crt/key (by ca), rogue.crt/key (by other-ca). */
  pem(name: string): Buffer;
  /** Path of a PEM file, for flags. */
  file(name: string): string;
  remove(): void;
}

export function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), "grpcperf-tls-"));
  const file = (name: string) => join(dir, name);
  const pem = (name: string) => readFileSync(file(name));

  function openssl(...args: string[]) {
    const p = Bun.spawnSync(["openssl", ...args], { cwd: dir, stdout: "pipe", stderr: "pipe" });
    if (p.exitCode !== 0) throw new Error(`openssl ${args.join(" ")}: ${p.stderr.toString()}`);
  }

  writeFileSync(
    file("leaf.ext"),
    "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n",
  );
  for (const ca of ["ca", "other-ca"]) {
    openssl(
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-days",
      "1",
      "-keyout",
      `${ca}.key`,
      "-out",
      `${ca}.crt`,
      "-subj",
      `/CN=grpcperf test ${ca}`,
    );
  }
  const leaf = (name: string, ca: string) => {
    openssl(
      "req",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.csr`,
      "-subj",
      `/CN=${name}`,
    );
    openssl(
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      `${ca}.crt`,
      "-CAkey",
      `${ca}.key`,
      "-CAcreateserial",
      "-days",
      "1",
      "-out",
      `${name}.crt`,
      "-extfile",
      "leaf.ext",
    );
  };
  leaf("server", "ca");
  leaf("client", "ca");
  leaf("rogue", "other-ca");
  return { dir, pem, file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
