#!/usr/bin/env bash
# Fetches Debian's cloud kernel and its three vsock modules into $1 (default .tmp/vm/kernel), without
# installing anything: `apt-get download` + `dpkg -x`. The cloud flavour boots fast under QEMU and ships
# vsock_loopback.ko, which lets a guest talk VSOCK to itself over CID 1. Cached: a second run is instant.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-.tmp/vm/kernel}
modules=(vsock vmw_vsock_virtio_transport_common vsock_loopback)

have_all() {
  [ -f "$out/vmlinuz" ] || return 1
  for m in "${modules[@]}"; do [ -f "$out/$m.ko" ] || return 1; done
}
if have_all; then exit 0; fi

# The metapackage names the current ABI (linux-image-6.1.0-NN-cloud-amd64); lists may need refreshing.
resolve() { apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }'; }
pkg=$(resolve || true)
if [ -z "$pkg" ]; then
  apt-get update -qq >/dev/null
  pkg=$(resolve || true)
fi
[ -n "$pkg" ] || { echo "fetch-kernel: cannot resolve linux-image-cloud-amd64 from apt" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# _apt cannot write into a root-only mktemp dir; let it, to avoid apt's "unsandboxed" warning.
chmod 0777 "$work"
(cd "$work" && apt-get download -q "$pkg" >/dev/null)
dpkg -x "$work"/*.deb "$work/root"
mkdir -p "$out"
cp "$work"/root/boot/vmlinuz-* "$out/vmlinuz"
for m in "${modules[@]}"; do
  ko=$(find "$work/root/lib/modules" -path "*/kernel/net/vmw_vsock/$m.ko*" | head -1)
  [ -n "$ko" ] || { echo "fetch-kernel: $pkg has no $m.ko" >&2; exit 1; }
  case "$ko" in
    *.ko) cp "$ko" "$out/$m.ko" ;;
    *.ko.xz) xz -dc "$ko" >"$out/$m.ko" ;;
    *.ko.zst) zstd -qdc "$ko" >"$out/$m.ko" ;;
    *) echo "fetch-kernel: unknown module compression: $ko" >&2; exit 1 ;;
  esac
done
echo "$pkg" >"$out/PACKAGE"
echo "fetch-kernel: $pkg -> $out"
