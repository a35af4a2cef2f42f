// Socket address layouts, as plain bytes. Pure functions: no syscalls here.
export const AF_UNIX = 1;
export const AF_VSOCK = 40;

export const VMADDR_CID_ANY = 0xffffffff;
export const VMADDR_PORT_ANY = 0xffffffff;

/** sizeof(struct sockaddr_un): u16 family + 108 bytes of path. */
export const SOCKADDR_UN_SIZE = 110;
/** sizeof(struct sockaddr_vm): u16 family, u16 reserved, u32 port, u32 cid, 4 zero bytes (svm_zero). */
export const SOCKADDR_VM_SIZE = 16;
/** Large enough for any address returned by getsockname/getpeername on the families used here. */
export const SOCKADDR_MAX = 128;

export function sockaddrVm(cid: number, port: number): Buffer {
  const b = Buffer.alloc(SOCKADDR_VM_SIZE);
  b.writeUInt16LE(AF_VSOCK, 0);
  b.writeUInt32LE(port >>> 0, 4);
  b.writeUInt32LE(cid >>> 0, 8);
  return b;
}

/** The path must leave room for the terminating NUL; the address parser already caps it at 107 bytes. */
export function sockaddrUn(path: string): Buffer {
  const bytes = Buffer.from(path);
  if (bytes.length === 0 || bytes.length > SOCKADDR_UN_SIZE - 3) {
    throw new RangeError(`unix socket path must be 1..${SOCKADDR_UN_SIZE - 3} bytes, got ${bytes.length}`);
  }
  // Exactly family + path + NUL: the length passed to bind/connect is this buffer's length.
  const b = Buffer.alloc(2 + bytes.length + 1);
  b.writeUInt16LE(AF_UNIX, 0);
  bytes.copy(b, 2);
  return b;
}

export type DecodedSockaddr =
  | { readonly family: "vsock"; readonly cid: number; readonly port: number }
  | { readonly family: "unix"; readonly path: string }
  | { readonly family: "other"; readonly number: number };

export function decodeSockaddr(b: Uint8Array, length: number): DecodedSockaddr {
  const buf = Buffer.from(b.buffer, b.byteOffset, Math.min(length, b.byteLength));
  const family = buf.length >= 2 ? buf.readUInt16LE(0) : -1;
  if (family === AF_VSOCK && buf.length >= 12) {
    return { family: "vsock", port: buf.readUInt32LE(4), cid: buf.readUInt32LE(8) };
  }
  if (family === AF_UNIX) {
    const raw = buf.subarray(2);
    const nul = raw.indexOf(0);
    return { family: "unix", path: raw.subarray(0, nul < 0 ? raw.length : nul).toString() };
  }
  return { family: "other", number: family };
}
