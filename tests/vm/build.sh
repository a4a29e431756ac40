#!/bin/sh
# Builds the IPVS test VM: Debian's cloud kernel plus a base initramfs holding the ip_vs
# modules, busybox, ipvsadm and keepalived (ARCHITECTURE.md "Test environments",
# LAB-NOTES.md "IPVS in a VM"). This machine's kernel has no IPVS, so IPVS is tested there;
# nor ipvlan, so `use_ipvlan` is too (the veth and ipvlan modules, iproute2's `ip` for
# `ip -d link` and `ip netns`, and tcpdump come along for that).
#
# Usage: tests/vm/build.sh [OUT_DIR]     (default: <repo>/target/vm)
# Leaves OUT_DIR/vmlinuz and OUT_DIR/base.cpio.gz; run.sh appends a per-test payload archive.
# The kernel package is downloaded once into OUT_DIR/cache and reused.
#
# Debian packages needed on the host: qemu-system-x86 busybox-static cpio xz-utils
# ipvsadm keepalived iproute2 tcpdump (and apt-get update, for `apt-get download` of the
# kernel).
set -eu

repo=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$repo/target/vm}
cache=$out/cache
mkdir -p "$cache"
out=$(cd "$out" && pwd)
cache=$out/cache

# One build at a time: test binaries (or engineers) sharing OUT_DIR wait for each other.
exec 9>"$out/.lock"
flock 9

if [ -s "$out/vmlinuz" ] && [ -s "$out/base.cpio.gz" ] && [ "$out/base.cpio.gz" -nt "$0" ]; then
    exit 0
fi

for tool in busybox cpio gzip xz ipvsadm keepalived ip tcpdump; do
    command -v "$tool" >/dev/null 2>&1 || [ -x "/sbin/$tool" ] || [ -x "/usr/sbin/$tool" ] || {
        echo "build.sh: $tool is missing (apt-get install -y qemu-system-x86 busybox-static cpio xz-utils ipvsadm keepalived iproute2 tcpdump)" >&2
        exit 1
    }
done

# The cloud kernel: resolve the versioned package behind the meta package, download it once.
if ! ls "$cache"/linux-image-*-cloud-amd64_*.deb >/dev/null 2>&1; then
    resolve() {
        apt-cache depends linux-image-cloud-amd64 2>/dev/null |
            sed -n 's/^ *Depends: \(linux-image-[^ ]*-cloud-amd64\).*/\1/p' | head -n1
    }
    pkg=$(resolve)
    if [ -z "$pkg" ]; then
        # A fresh machine may have no package lists yet.
        apt-get update -q >&2 || true
        pkg=$(resolve)
    fi
    if [ -z "$pkg" ]; then
        echo "build.sh: cannot resolve linux-image-cloud-amd64 (run apt-get update)" >&2
        exit 1
    fi
    # apt warns that root downloads unsandboxed into a directory _apt cannot write: harmless.
    (cd "$cache" && apt-get download "$pkg" >&2)
    ls "$cache"/linux-image-*-cloud-amd64_*.deb >/dev/null 2>&1 || { echo "build.sh: download of $pkg failed" >&2; exit 1; }
fi
deb=$(ls "$cache"/linux-image-*-cloud-amd64_*.deb | head -n1)
kernel=$cache/kernel
if [ ! -d "$kernel/lib/modules" ] && [ ! -d "$kernel/usr/lib/modules" ]; then
    rm -rf "$kernel"
    dpkg -x "$deb" "$kernel"
fi
cp "$(ls "$kernel"/boot/vmlinuz-* | head -n1)" "$out/vmlinuz"
moddir=$(ls -d "$kernel"/lib/modules/* "$kernel"/usr/lib/modules/* 2>/dev/null | head -n1)

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/sbin" "$root/etc" "$root/proc" "$root/sys" "$root/dev" "$root/tmp" \
    "$root/run" "$root/var/run" "$root/lib/keel-modules" "$root/payload"

# busybox applets as symlinks.
cp "$(command -v busybox)" "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
    [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done

# A binary and the libraries ldd lists for it, at the same paths.
copy_with_libs() {
    bin=$1
    dest=$2
    cp "$bin" "$root$dest"
    ldd "$bin" 2>/dev/null | sed -n 's/.*=> \(\/[^ ]*\).*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p' | while read -r lib; do
        mkdir -p "$root$(dirname "$lib")"
        cp -L "$lib" "$root$lib"
    done
}
copy_with_libs "$(command -v ipvsadm || echo /usr/sbin/ipvsadm)" /sbin/ipvsadm
copy_with_libs "$(command -v keepalived || echo /usr/sbin/keepalived)" /sbin/keepalived
# iproute2's ip in /sbin, ahead of busybox's on the VM's PATH: busybox's has no `-d` details
# (ipvlan mode and flags) and no `ip netns`.
copy_with_libs "$(command -v ip || echo /usr/sbin/ip)" /sbin/ip
copy_with_libs "$(command -v tcpdump || echo /usr/bin/tcpdump)" /sbin/tcpdump
# ld.so is looked up at /lib64 by x86-64 binaries; /lib64 may be a symlink on the host.
if [ -e /lib64/ld-linux-x86-64.so.2 ] && [ ! -e "$root/lib64/ld-linux-x86-64.so.2" ]; then
    mkdir -p "$root/lib64"
    cp -L /lib64/ld-linux-x86-64.so.2 "$root/lib64/"
fi

printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
printf '127.0.0.1 localhost\n' >"$root/etc/hosts"

# Modules: every ip_vs module and what it depends on, in load order. modules.dep is not in
# the package, so dependencies come from each module's own `depends=` modinfo string.
find_module() {
    find "$moddir" -name "$1.ko" -o -name "$1.ko.xz" -o -name "$1.ko.zst" | head -n1
}
module_deps() {
    file=$(find_module "$1")
    [ -n "$file" ] || return 0
    case $file in
    *.xz) xz -dc "$file" ;;
    *.zst) zstd -dc "$file" ;;
    *) cat "$file" ;;
    esac | tr '\0' '\n' | sed -n 's/^depends=//p' | head -n1 | tr ',' ' '
}
order=""
visit() {
    case " $order " in *" $1 "*) return 0 ;; esac
    for dep in $(module_deps "$1"); do
        visit "$dep"
    done
    order="$order $1"
}
for ko in $(find "$moddir" -path '*ipvs*' \( -name 'ip_vs*.ko' -o -name 'ip_vs*.ko.xz' -o -name 'ip_vs*.ko.zst' \)); do
    name=$(basename "$ko" | sed 's/\.ko.*//')
    visit "$name"
done
visit dummy
visit veth
visit ipvlan
index=0
for name in $order; do
    file=$(find_module "$name")
    [ -n "$file" ] || continue
    index=$((index + 1))
    target=$root/lib/keel-modules/$(printf '%03d' "$index")-$name.ko
    case $file in
    *.xz) xz -dc "$file" >"$target" ;;
    *.zst) zstd -dc "$file" >"$target" ;;
    *) cp "$file" "$target" ;;
    esac
done

cat >"$root/init" <<'INIT'
#!/bin/sh
# keel test VM: mount, load IPVS, run the payload, print its output between markers, power off.
export PATH=/payload:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
mount -t tmpfs run /run
for module in /lib/keel-modules/*.ko; do
    insmod "$module" 2>/dev/null || echo "keel-vm: insmod $(basename "$module") failed"
done
ip link set lo up
echo "==KEEL-VM-BEGIN=="
if [ -x /payload/run ]; then
    cd /payload && ./run 2>&1
    echo "==KEEL-VM-EXIT $?=="
else
    echo "keel-vm: no /payload/run"
fi
echo "==KEEL-VM-END=="
poweroff -f
INIT
chmod +x "$root/init"

(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$out/base.cpio.gz.tmp"
mv "$out/base.cpio.gz.tmp" "$out/base.cpio.gz"
echo "build.sh: kernel $(basename "$deb"), modules:$order"
