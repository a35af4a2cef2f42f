// Start-up of the Crypto service's parts: keys (generated or from a directory), the key ring, and the
// executor that holds the private halves.
import { availableParallelism } from "node:os";
import { type CryptoExecutor, inlineExecutor } from "./executor.ts";
import { loadKeyDir } from "./key-dir.ts";
import { KeyRing } from "./keyring.ts";
import { generateDefaultKeys, type KeyPair } from "./keys.ts";
import { WorkerPool } from "./pool.ts";

interface CryptoOptions {
  /** Load keys from here; generate the default set when absent. */
  readonly keyDir?: string;
  /** Pool size; 0 signs inline on the event loop. Default: the CPU count. */
  readonly workers?: number;
  /** Jobs that may wait for a worker before calls are refused. Default: a multiple of the pool size. */
  readonly queue?: number;
  /** Lines worth a warning (loose key file permissions, a dead worker). */
  readonly warn: (message: string) => void;
  readonly debug?: (message: string) => void;
}

export interface CryptoParts {
  readonly ring: KeyRing;
  readonly executor: CryptoExecutor;
  /** "3 keys generated" / "2 keys from DIR", for the ready line. */
  readonly keySource: string;
}

export function defaultWorkerCount(): number {
  return Math.max(1, availableParallelism());
}

export interface LoadedKeys {
  readonly keys: readonly KeyPair[];
  /** "3 keys generated" / "2 keys from DIR", for the ready line. */
  readonly keySource: string;
}

/** Loads --key-dir or generates the default set, once per process, whatever the number of server threads. */
export function loadKeys(opts: Pick<CryptoOptions, "keyDir" | "warn" | "debug">): LoadedKeys {
  if (opts.keyDir === undefined) {
    const keys = generateDefaultKeys();
    return { keys, keySource: `${keys.length} generated keys` };
  }
  const r = loadKeyDir(opts.keyDir);
  if (!r.ok) throw new Error(r.error);
  for (const w of r.warnings) opts.warn(w);
  for (const s of r.skipped) opts.debug?.(`key directory: skipped ${s} (not a *.pem file)`);
  return { keys: r.keys, keySource: `${r.keys.length} key${r.keys.length === 1 ? "" : "s"} from ${opts.keyDir}` };
}

/** The key ring and an executor over keys already loaded; `workers` 0 signs inline. */
export async function cryptoFromKeys(
  keys: readonly KeyPair[],
  workers: number,
  opts: Pick<CryptoOptions, "warn" | "debug" | "queue">,
): Promise<Omit<CryptoParts, "keySource">> {
  const ring = new KeyRing(keys.map((k) => k.public));
  const privates = keys.map((k) => k.private);
  const executor =
    workers === 0
      ? inlineExecutor(privates)
      : await WorkerPool.start(workers, privates, { onWorkerError: opts.warn, queue: opts.queue });
  return { ring, executor };
}

/** Throws with a one-line message (naming files, never their contents) when keys or workers fail. */
export async function startCrypto(opts: CryptoOptions): Promise<CryptoParts> {
  const { keys, keySource } = loadKeys(opts);
  describeKeys(keys, opts);
  const parts = await cryptoFromKeys(keys, opts.workers ?? defaultWorkerCount(), opts);
  return { ...parts, keySource };
}

/** Key ids and sizes at debug, and a warning per algorithm no key covers: once per process. */
export function describeKeys(keys: readonly KeyPair[], opts: Pick<CryptoOptions, "warn" | "debug">): void {
  for (const k of keys) opts.debug?.(`key ${k.public.id}: ${k.public.kind} ${k.public.bits} bits`);
  for (const a of new KeyRing(keys.map((k) => k.public)).uncovered()) {
    opts.warn(`no key for ${a.name}: requests for it get NOT_FOUND`);
  }
}
