#!/usr/bin/env bash
# The real VSOCK end-to-end test: boots Debian's cloud kernel under QEMU (TCG: no KVM needed) from an
# initramfs holding dist/grpcperf, and lets guest-init.sh serve and call over vsock_loopback (CID 1) and
# TCP. Exits 0 only on the guest's PASS marker; a hard timeout bounds the whole run.
# Needs: qemu-system-x86 busybox-static cpio openssl (apt), dist/grpcperf (npm run build).
set -euo pipefail
cd "$(dirname "$0")/../.."
work=.tmp/vm
timeout_s=${VM_TIMEOUT:-600}
for tool in qemu-system-x86_64 busybox cpio openssl; do
  command -v "$tool" >/dev/null || { echo "vm: $tool is missing (apt-get install qemu-system-x86 busybox-static cpio openssl)" >&2; exit 1; }
done

bash scripts/vm/fetch-kernel.sh "$work/kernel"
bash scripts/vm/build-initramfs.sh "$work/kernel" "$work/initramfs.cpio"
echo "vm: kernel $(cat "$work/kernel/PACKAGE" 2>/dev/null || echo '?'), initramfs $(du -m "$work/initramfs.cpio" | cut -f1) MiB"

log="$work/console.log"
start=$(date +%s%N)
# -cpu max: Bun needs AVX2 (qemu64 dies with "Illegal instruction"). No NIC, no disk, no VGA: vsock_loopback
# and lo are all the guest needs. panic=-1 + -no-reboot: a crashed guest exits QEMU instead of hanging.
set +e
timeout --kill-after=10 "$timeout_s" qemu-system-x86_64 \
  -machine pc -accel tcg -cpu max -smp 2 -m 2048 \
  -kernel "$work/kernel/vmlinuz" -initrd "$work/initramfs.cpio" \
  -append "console=ttyS0 quiet loglevel=3 panic=-1 rdinit=/init" \
  -nic none -vga none -display none -serial stdio -monitor none -no-reboot </dev/null 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
echo "vm: QEMU exited with $status after $((elapsed_ms / 1000)).$(printf '%03d' $((elapsed_ms % 1000))) s"
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
  echo "vm: FAIL: no result within ${timeout_s} s (VM_TIMEOUT)" >&2
  exit 1
fi
if grep -q "^GRPCPERF-VM: PASS" "$log"; then
  echo "vm: PASS"
  exit 0
fi
echo "vm: FAIL: $(grep -a '^GRPCPERF-VM:' "$log" || echo 'the guest printed no result marker')" >&2
exit 1
