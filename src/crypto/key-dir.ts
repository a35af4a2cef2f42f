// Loading keys from --key-dir: every *.pem file is one private key, its id the file name without ".pem".
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { type KeyPair, keyPairFromPem } from "./keys.ts";

type KeyDirResult = { ok: true; keys: KeyPair[]; warnings: string[]; skipped: string[] } | { ok: false; error: string };

const PEM_SUFFIX = ".pem";

/** Permission bits that let someone other than the owner read the file. */
export function readableByOthers(mode: number): boolean {
  return (mode & 0o044) !== 0;
}

export function loadKeyDir(dir: string): KeyDirResult {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (err) {
    return { ok: false, error: `cannot read key directory ${dir}: ${(err as NodeJS.ErrnoException).code ?? err}` };
  }
  const keys: KeyPair[] = [];
  const warnings: string[] = [];
  const skipped: string[] = [];
  for (const name of names) {
    const path = join(dir, name);
    if (!name.endsWith(PEM_SUFFIX) || name.length === PEM_SUFFIX.length) {
      skipped.push(name);
      continue;
    }
    let text: string;
    let mode: number;
    try {
      const st = statSync(path);
      if (!st.isFile()) {
        skipped.push(name);
        continue;
      }
      mode = st.mode;
      text = readFileSync(path, "utf8");
    } catch (err) {
      return { ok: false, error: `cannot read key file ${path}: ${(err as NodeJS.ErrnoException).code ?? err}` };
    }
    const r = keyPairFromPem(name.slice(0, -PEM_SUFFIX.length), text);
    if (!r.ok) return { ok: false, error: `key file ${path}: ${r.error}` };
    if (readableByOthers(mode)) {
      warnings.push(
        `key file ${path} is readable by group or others (mode ${(mode & 0o777).toString(8).padStart(4, "0")}); chmod 600 it`,
      );
    }
    keys.push(r.pair);
  }
  if (keys.length === 0) return { ok: false, error: `no *.pem private keys in ${dir}` };
  return { ok: true, keys, warnings, skipped };
}
