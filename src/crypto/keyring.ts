// The public side of the server's keys: which key a request means, and the default key per algorithm.
import { ALGORITHMS, type AlgorithmSpec } from "./algorithms.ts";
import type { PublicKeyInfo } from "./keys.ts";

export class KeyRing {
  private readonly byId = new Map<string, PublicKeyInfo>();
  private readonly defaults = new Map<number, PublicKeyInfo>();

  /** The first key (in the order given) able to sign with an algorithm is that algorithm's default. */
  constructor(keys: readonly PublicKeyInfo[]) {
    for (const k of keys) {
      if (this.byId.has(k.id)) throw new Error(`duplicate key id ${k.id}`);
      this.byId.set(k.id, k);
      for (const a of k.algorithms) if (!this.defaults.has(a.algorithm)) this.defaults.set(a.algorithm, k);
    }
  }

  get(id: string): PublicKeyInfo | undefined {
    return this.byId.get(id);
  }

  defaultFor(spec: AlgorithmSpec): PublicKeyInfo | undefined {
    return this.defaults.get(spec.algorithm);
  }

  /** One entry per key and algorithm it signs with, in key order. */
  list(): Array<{ key: PublicKeyInfo; spec: AlgorithmSpec }> {
    const out: Array<{ key: PublicKeyInfo; spec: AlgorithmSpec }> = [];
    for (const key of this.byId.values()) for (const spec of key.algorithms) out.push({ key, spec });
    return out;
  }

  get size(): number {
    return this.byId.size;
  }

  /** Algorithms no key can serve (a --key-dir without EC keys, say): worth a line at start-up. */
  uncovered(): AlgorithmSpec[] {
    return ALGORITHMS.filter((a) => !this.defaults.has(a.algorithm));
  }
}
