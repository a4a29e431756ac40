#!/bin/sh
# Boots the IPVS test VM with a payload and prints the payload's output.
#
# Usage: tests/vm/run.sh PAYLOAD_DIR [OUT_DIR]
# PAYLOAD_DIR must hold an executable `run` (a shell script is fine); it becomes /payload in
# the VM, and what it prints appears between ==KEEL-VM-BEGIN== and ==KEEL-VM-END== on
# stdout, followed by its exit status as ==KEEL-VM-EXIT N==. Dynamically linked executables
# in PAYLOAD_DIR get the libraries ldd lists. Builds the VM first if needed (build.sh).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
payload=$(cd "$1" && pwd)
out=${2:-$here/../../target/vm}
"$here/build.sh" "$out" >&2

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/root/payload"
cp -a "$payload/." "$work/root/payload/"
for file in "$work/root/payload"/*; do
    if [ -f "$file" ] && [ -x "$file" ] && head -c 4 "$file" | grep -q 'ELF'; then
        # A debug build carries hundreds of MB of DWARF; the VM unpacks its initramfs into
        # RAM, where that does not fit ("Initramfs unpacking failed: write error").
        if command -v strip >/dev/null 2>&1; then
            strip --strip-debug "$file"
        fi
        ldd "$file" 2>/dev/null | sed -n 's/.*=> \(\/[^ ]*\).*/\1/p' | while read -r lib; do
            mkdir -p "$work/root$(dirname "$lib")"
            cp -L "$lib" "$work/root$lib"
        done
    fi
done
(cd "$work/root" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/payload.cpio.gz"
# The kernel unpacks concatenated archives in order; the payload lands on top of the base.
cat "$out/base.cpio.gz" "$work/payload.cpio.gz" >"$work/initrd.gz"

timeout "${KEEL_VM_TIMEOUT:-300}" qemu-system-x86_64 -accel tcg -cpu max -m 1024 -nographic -no-reboot \
    -kernel "$out/vmlinuz" -initrd "$work/initrd.gz" \
    -append "console=ttyS0 panic=-1 quiet" </dev/null
