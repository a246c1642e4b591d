#!/usr/bin/env bash
# Builds the small bootable test guest: Debian's cloud kernel and busybox-static in an initramfs.
# Prints the directory holding vmlinuz and initrd.img. Cached: a second run with the same kernel
# version reuses what the first one built. Needs root on Debian 12 (apt-get download, cpio).
#
# The guest's /init reads its orders from the kernel command line:
#   vc.do=sum      print "VC-SUM <disk> <sha256>" for every virtio disk, then power off
#   vc.do=write    write vc.blocks (default 16) random 64 KiB blocks at random offsets of every
#                  disk, sync, print "VC-SUM" lines, then power off
#   vc.do=writer   keep writing a random block every vc.interval seconds (default 1), printing
#                  "VC-WROTE <disk> <offset>", until the domain is stopped. With vc.fs=DISK, DISK
#                  holds an ext4 file system instead: it is mounted at /mnt and gets a file rewritten
#                  (and fsynced) every interval, printing "VC-FS <n>"; the other disks get the blocks
#   vc.do=idle     print the sums and stay up (for instant-recovery tests)
#   vc.do=fswriter mount the ext4 file system on /dev/${vc.fs} (default vda; the host formats it with
#                  mkfs.ext4) at /mnt and keep rewriting files there, an fsync every eighth write,
#                  printing "VC-FS <n>" after each write, until the domain is stopped
# It always prints "VC-READY" once its disks are visible: a sign of life for verify --boot.
# A guest agent: Debian's qemu-guest-agent binary and the libraries it links (with their loader)
# are in the initramfs; when the domain has the virtio-serial channel org.qemu.guest_agent.0,
# /init starts qemu-ga on it and prints "VC-AGENT started" before "VC-READY". Without the channel
# nothing of it runs.
set -euo pipefail

cache=${VIRTCHAIN_GUEST_CACHE:-/var/cache/virtchain-test-guest}
export DEBIAN_FRONTEND=noninteractive

pkgs_ready() { apt-cache show linux-image-cloud-amd64 busybox-static qemu-guest-agent >/dev/null 2>&1; }
pkgs_ready || apt-get update -q >/dev/null
command -v cpio >/dev/null || apt-get install -y -q cpio >/dev/null

kpkg=$(apt-cache depends linux-image-cloud-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
[[ -n "$kpkg" ]] || { echo "build-guest: cannot resolve linux-image-cloud-amd64 to a kernel package" >&2; exit 1; }
kver=${kpkg#linux-image-}
out="$cache/$kver"
if [[ -s "$out/vmlinuz" && -s "$out/initrd.img" && "$out/initrd.img" -nt "$0" ]]; then
  echo "$out"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download -q "$kpkg" busybox-static qemu-guest-agent >/dev/null 2>&1) \
  || { echo "build-guest: apt-get download $kpkg busybox-static qemu-guest-agent failed" >&2; exit 1; }
dpkg-deb -x "$work"/linux-image-*.deb "$work/kernel"
dpkg-deb -x "$work"/busybox-static_*.deb "$work/busybox"
dpkg-deb -x "$work"/qemu-guest-agent_*.deb "$work/agent"

root="$work/root"
mkdir -p "$root"/{bin,dev,proc,sys,tmp,modules}
cp "$work/busybox/bin/busybox" "$root/bin/busybox"
# virtio is modular in the cloud kernel; load order matters (DESIGN.md, test environment facts).
modules="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_blk"
for m in $modules; do
  ko=$(find "$work/kernel/lib/modules/$kver" -name "$m.ko" | head -n 1)
  [[ -n "$ko" ]] || { echo "build-guest: module $m not found in $kpkg" >&2; exit 1; }
  cp "$ko" "$root/modules/"
done
echo "$modules" > "$root/modules/order"
# The agent's virtio-serial port needs virtio_console (modular; it depends on virtio and
# virtio_ring only). ext4 and jbd2 are built into the cloud kernel.
ko=$(find "$work/kernel/lib/modules/$kver" -name virtio_console.ko | head -n 1)
[[ -n "$ko" ]] || { echo "build-guest: module virtio_console not found in $kpkg" >&2; exit 1; }
cp "$ko" "$root/modules/"

# qemu-ga and what it links, the loader included, each at its path (the host is Debian 12 too).
mkdir -p "$root/usr/sbin" "$root/run"
cp "$work/agent/usr/sbin/qemu-ga" "$root/usr/sbin/qemu-ga"
libs=$(ldd "$root/usr/sbin/qemu-ga" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}')
[[ -n "$libs" ]] || { echo "build-guest: ldd found no libraries of qemu-ga" >&2; exit 1; }
for lib in $libs; do
  [[ -e "$lib" ]] || { echo "build-guest: qemu-ga needs $lib, which this host lacks" >&2; exit 1; }
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done

cat > "$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /modules/order); do insmod /modules/$m.ko; done
insmod /modules/virtio_console.ko
arg() { for w in $(cat /proc/cmdline); do case "$w" in "$1"=*) echo "${w#*=}"; return;; esac; done; echo "$2"; }
action=$(arg vc.do sum)
blocks=$(arg vc.blocks 16)
interval=$(arg vc.interval 1)
# Wait until every virtio block device (device id 0x0002) has its /dev/vd? node: with several
# disks, the first one can appear while the others are still being probed.
want=$(cat /sys/bus/virtio/devices/*/device 2>/dev/null | grep -c 0x0002)
for i in $(seq 100); do [ "$(ls /dev/vd? 2>/dev/null | wc -l)" -ge "$want" ] && break; sleep 0.1; done
disks=$(cd /dev && ls vd? 2>/dev/null | tr "\n" " ")
# A virtio console device (id 0x0003) means a virtio-serial channel: wait for its ports, give them
# the /dev/virtio-ports/NAME links udev would, and start the guest agent on its port.
if grep -q 0x0003 /sys/bus/virtio/devices/*/device 2>/dev/null; then
  for i in $(seq 50); do ls /sys/class/virtio-ports/*/name >/dev/null 2>&1 && break; sleep 0.1; done
  mkdir -p /dev/virtio-ports
  for p in /sys/class/virtio-ports/*; do
    [ -e "$p/name" ] && ln -sf "/dev/${p##*/}" "/dev/virtio-ports/$(cat "$p/name")"
  done
  if [ -e /dev/virtio-ports/org.qemu.guest_agent.0 ]; then
    /usr/sbin/qemu-ga -m virtio-serial -p /dev/virtio-ports/org.qemu.guest_agent.0 -f /run/qemu-ga.pid \
      -t /run &
    echo "VC-AGENT started"
  fi
fi
echo "VC-READY disks: $disks"
sectors() { cat /sys/block/$1/size; }
write_block() {
  d=$1
  n=$(( $(sectors $d) / 128 ))           # 64 KiB blocks on the disk
  [ "$n" -gt 0 ] || return 0
  b=$(( $(od -An -N4 -tu4 /dev/urandom) % n ))
  dd if=/dev/urandom of=/dev/$d bs=65536 seek=$b count=1 conv=notrunc,fsync 2>/dev/null
  echo "VC-WROTE $d $(( b * 65536 ))"
}
sums() {
  sync
  echo 3 > /proc/sys/vm/drop_caches
  for d in $disks; do echo "VC-SUM $d $(sha256sum /dev/$d | cut -d' ' -f1)"; done
}
# The ext4 file system on /dev/$1 at /mnt, with the directory the writers fill.
mount_fs() {
  mkdir -p /mnt
  mount -t ext4 /dev/$1 /mnt || { echo "VC-FS-FAILED mount /dev/$1"; poweroff -f; }
  mkdir -p /mnt/data
}
case "$action" in
  write)  for d in $disks; do i=0; while [ $i -lt $blocks ]; do write_block $d; i=$((i+1)); done; done
          sums; echo "VC-DONE"; poweroff -f ;;
  writer) fs=$(arg vc.fs "")
          [ -z "$fs" ] || mount_fs $fs
          round=0
          while true; do
            round=$((round+1))
            for d in $disks; do
              if [ "$d" = "$fs" ]; then
                dd if=/dev/urandom of=/mnt/data/f$((round % 8)) bs=65536 count=1 conv=fsync 2>/dev/null
                echo "VC-FS $round"
              else
                write_block $d
              fi
            done
            sleep $interval
          done ;;
  idle)   sums; echo "VC-IDLE"; while true; do sleep 3600; done ;;
  fswriter)
          fs=$(arg vc.fs vda)
          mount_fs $fs
          n=0
          while true; do
            n=$((n+1))
            if [ $((n % 8)) -eq 0 ]; then sync=conv=fsync; else sync=conv=notrunc; fi
            dd if=/dev/urandom of=/mnt/data/f$((n % 32)) bs=4096 count=$((1 + n % 16)) $sync 2>/dev/null
            echo "VC-FS $n"
            sleep 0.05
          done ;;
  *)      sums; echo "VC-DONE"; poweroff -f ;;
esac
INIT
chmod +x "$root/init"

mkdir -p "$out.tmp"
cp "$work/kernel/boot/vmlinuz-$kver" "$out.tmp/vmlinuz"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out.tmp/initrd.img"
rm -rf "$out"
mv "$out.tmp" "$out"
echo "$out"
