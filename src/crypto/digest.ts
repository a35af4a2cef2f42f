// Hashing with @noble/hashes: the server hashes messages itself so that a signature over a message and
// one over its precomputed digest go through the same signer and come out identical.
import { sha256, sha384 } from "@noble/hashes/sha2.js";
import type { AlgorithmSpec } from "./algorithms.ts";

export function hashWith(hash: AlgorithmSpec["hash"], data: Uint8Array): Uint8Array {
  return hash === "sha256" ? sha256(data) : sha384(data);
}
