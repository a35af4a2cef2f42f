#!/usr/bin/env bash
# Builds the guest's initramfs (an uncompressed cpio: it boots faster than a compressed one under TCG):
# dist/grpcperf and the shared libraries `ldd` names for it, busybox, the three vsock modules, and
# guest-init.sh as /init.  Usage: build-initramfs.sh KERNEL_DIR OUTPUT.cpio
set -euo pipefail
cd "$(dirname "$0")/../.."
kernel=${1:?kernel dir}
out=${2:?output cpio}
bin=dist/grpcperf
[ -x "$bin" ] || { echo "build-initramfs: $bin is missing: run npm run build first" >&2; exit 1; }
busybox=$(command -v busybox) || { echo "build-initramfs: busybox is missing (apt-get install busybox-static)" >&2; exit 1; }

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,dev,proc,sys,tmp,etc,lib/modules}
cp "$bin" "$root/bin/grpcperf"
cp "$busybox" "$root/bin/busybox"
cp scripts/vm/guest-init.sh "$root/init"
chmod 0755 "$root/init"
for m in vsock vmw_vsock_virtio_transport_common vsock_loopback; do cp "$kernel/$m.ko" "$root/lib/modules/"; done
# A signing key for the servers of the restart step (guest-init.sh): without --key-dir, serve generates RSA
# and EC keys at every start, which under TCG is most of a restart's time.
mkdir -p "$root/etc/grpcperf-keys"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$root/etc/grpcperf-keys/p256.pem" 2>/dev/null ||
  { echo "build-initramfs: openssl genpkey failed (apt-get install openssl)" >&2; exit 1; }

# Every library the two programs load, at the path the dynamic loader looks for it (busybox-static has none).
copy_libs() {
  local libs
  libs=$(ldd "$1" 2>/dev/null | grep -oE '/[^ ]+' || true)
  for lib in $libs; do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
}
copy_libs "$bin"
copy_libs "$busybox"

mkdir -p "$(dirname "$out")"
(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet) >"$out"
