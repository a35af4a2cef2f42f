// The bun:ffi binding to libc: just the socket calls the UNIX and VSOCK transports need, each returning
// the raw C result, plus errno. Opened lazily so that merely importing this module never fails (a TCP-only
// run on a system without a usable libc still works); the first real use throws one clear line instead.
import { dlopen, FFIType, type Pointer, read } from "bun:ffi";

const { i32, u32, u64, ptr } = FFIType;

const symbols = {
  socket: { args: [i32, i32, i32], returns: i32 },
  bind: { args: [i32, ptr, u32], returns: i32 },
  listen: { args: [i32, i32], returns: i32 },
  connect: { args: [i32, ptr, u32], returns: i32 },
  getsockname: { args: [i32, ptr, ptr], returns: i32 },
  getpeername: { args: [i32, ptr, ptr], returns: i32 },
  getsockopt: { args: [i32, i32, i32, ptr, ptr], returns: i32 },
  ioctl: { args: [i32, u64, ptr], returns: i32 },
  poll: { args: [ptr, u64, i32], returns: i32 },
  open: { args: [ptr, i32], returns: i32 },
  close: { args: [i32], returns: i32 },
  // Variadic in C; called only with an int third argument, which every Linux ABI passes like a fixed one.
  fcntl: { args: [i32, i32, i32], returns: i32 },
  __errno_location: { args: [], returns: ptr },
} as const;

type Libc = ReturnType<typeof dlopen<typeof symbols>>["symbols"];

// glibc's soname; Bun's own binary links against glibc, so wherever grpcperf runs this library exists.
const LIBC_NAME = "libc.so.6";

let loaded: Libc | undefined;

export class NativeUnavailable extends Error {
  override readonly name = "NativeUnavailable";
}

export function libc(): Libc {
  if (loaded) return loaded;
  try {
    loaded = dlopen(LIBC_NAME, symbols).symbols;
  } catch (err) {
    throw new NativeUnavailable(
      `cannot load ${LIBC_NAME} through bun:ffi (${err instanceof Error ? err.message : String(err)})`,
    );
  }
  return loaded;
}

/** errno of the last failed call; read right after the call, before any other libc work can change it. */
export function errno(): number {
  const where = libc().__errno_location() as Pointer | null;
  return where === null ? 0 : read.i32(where, 0);
}
