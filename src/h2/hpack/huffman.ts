// HPACK Huffman decoding (RFC 7541 §5.2). Servers Huffman-code header values whenever that is shorter, so
// a client that cannot decode them cannot read grpc-message or even content-type from some peers.
import { HUFFMAN_CODES, HUFFMAN_LENGTHS } from "./huffman-table.ts";

const EOS = 256;

// The code as a binary tree in two flat arrays: child[node * 2 + bit] is the next node, or -(symbol + 1)
// at a leaf. Built on the first Huffman-coded string, not at load: building it is ~2 ms of a compiled
// `call echo`'s start (docs/performance.md, "Start-up"), and grpcperf's own server sends none. Decoding
// walks it a bit at a time, which is plenty for header-sized strings.
let tree: Int32Array | undefined;

function buildTree(): Int32Array {
  const child = new Int32Array(2 * 2 * 257).fill(0);
  let nodes = 1;
  for (let sym = 0; sym <= EOS; sym++) {
    const code = HUFFMAN_CODES[sym] as number;
    const len = HUFFMAN_LENGTHS[sym] as number;
    let node = 0;
    for (let i = len - 1; i >= 0; i--) {
      const bit = (code >>> i) & 1;
      const slot = node * 2 + bit;
      if (i === 0) {
        child[slot] = -(sym + 1);
      } else {
        if (child[slot] === 0) child[slot] = nodes++;
        node = child[slot] as number;
      }
    }
  }
  return child;
}

/** Decodes a Huffman-coded string; a string for the caller, or an Error naming what was wrong. */
export function huffmanDecode(src: Uint8Array, start: number, end: number): string | Error {
  tree ??= buildTree();
  const child = tree;
  const out: number[] = [];
  let node = 0;
  // Bits read since the last complete symbol, and whether they were all ones: only a run of at most
  // seven 1-bits (a prefix of EOS) may pad the end.
  let pendingBits = 0;
  let allOnes = true;
  for (let p = start; p < end; p++) {
    const byte = src[p] as number;
    for (let i = 7; i >= 0; i--) {
      const bit = (byte >>> i) & 1;
      const next = child[node * 2 + bit] as number;
      pendingBits++;
      if (bit === 0) allOnes = false;
      if (next < 0) {
        const sym = -next - 1;
        if (sym === EOS) return new Error("Huffman string contains EOS");
        out.push(sym);
        node = 0;
        pendingBits = 0;
        allOnes = true;
      } else if (next === 0) {
        return new Error("invalid Huffman code");
      } else {
        node = next;
      }
    }
  }
  if (pendingBits > 7 || !allOnes) return new Error("invalid Huffman padding");
  return Buffer.from(out).toString("latin1");
}
