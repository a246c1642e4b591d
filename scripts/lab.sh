#!/usr/bin/env bash
# A throwaway lab for trying `virtchain backup` on a machine that has no VM of its own (Debian 12,
# as root). Everything lives under /tmp/vc-lab; nothing outside it is configured.
#
#   scripts/lab.sh up     installs qemu and libvirt if missing, creates the system user libvirt-qemu
#                         if missing, writes an embedded libvirt root with its qemu.conf, builds the
#                         small test guest (integration-tests/guest/build-guest.sh, with Debian's
#                         qemu-guest-agent), creates two qcow2 disks with some data (vda an ext4
#                         file system the guest writes files into, vdb blocks) and writes the domain
#                         XML vc-demo.xml (with the guest agent's channel).
#                         It defines and starts nothing: the README shows those virsh commands.
#   scripts/lab.sh down   stops every domain of the lab's root (vc-demo, a boot left running),
#                         undefines vc-demo (and its checkpoints) and deletes /tmp/vc-lab.
#
# The libvirt URI of the lab: qemu:///embed?root=/tmp/vc-lab/libvirt
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
lab=/tmp/vc-lab
uri="qemu:///embed?root=$lab/libvirt"
dom=vc-demo
# virsh on the embedded root: libvirt's errors only, not its version, host name and warnings
export LIBVIRT_DEBUG=error

up() {
  "$here/scripts/ensure-packages" --as lab --quiet \
    qemu-utils qemu-system-x86 libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients e2fsprogs
  # libvirt's qemu driver resolves this user before it reads qemu.conf (integration-tests/README.md).
  id libvirt-qemu >/dev/null 2>&1 || useradd --system --user-group libvirt-qemu

  mkdir -p "$lab/libvirt/etc" "$lab/disks"
  # The embedded driver runs qemu as root, relabels nothing and sends qemu's output to files,
  # so no libvirtd or virtlogd is needed.
  cat > "$lab/libvirt/etc/qemu.conf" <<'EOF'
user = "root"
group = "root"
dynamic_ownership = 0
security_driver = "none"
stdio_handler = "file"
EOF

  local guest
  guest=$("$here/integration-tests/guest/build-guest.sh")

  # vda: an ext4 file system holding 32 MiB of data, which the guest mounts and writes files into
  # (the guest agent freezes it for each backup); vdb: 32 MiB of data the guest adds random blocks to
  if [[ ! -f "$lab/disks/vda.qcow2" ]]; then
    mkdir -p "$lab/disks/seed/data"
    head -c 32M /dev/zero | tr '\0' '\132' > "$lab/disks/seed/data/seed"
    truncate -s 256M "$lab/disks/vda.raw"
    mkfs.ext4 -q -F -d "$lab/disks/seed" "$lab/disks/vda.raw"
    qemu-img convert -O qcow2 "$lab/disks/vda.raw" "$lab/disks/vda.qcow2"
    rm -rf "$lab/disks/seed" "$lab/disks/vda.raw"
  fi
  if [[ ! -f "$lab/disks/vdb.qcow2" ]]; then
    qemu-img create -q -f qcow2 "$lab/disks/vdb.qcow2" 256M
    qemu-io -c 'write -q -P 0x5a 0 32M' "$lab/disks/vdb.qcow2"
  fi

  cat > "$lab/$dom.xml" <<EOF
<domain type='qemu'>
  <name>$dom</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$guest/vmlinuz</kernel>
    <initrd>$guest/initrd.img</initrd>
    <cmdline>console=ttyS0 quiet vc.do=writer vc.fs=vda vc.interval=1</cmdline>
  </os>
  <!-- ACPI: the guest's PCI interrupt routing (virtio) and power-off need it -->
  <features><acpi/><apic/></features>
  <on_reboot>destroy</on_reboot>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2' discard='unmap'/>
      <source file='$lab/disks/vda.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2' discard='unmap'/>
      <source file='$lab/disks/vdb.qcow2'/>
      <target dev='vdb' bus='virtio'/>
    </disk>
    <serial type='file'>
      <source path='$lab/console.log'/>
    </serial>
    <!-- the guest agent's channel: the guest runs qemu-ga on it, so backups freeze its filesystems -->
    <channel type='unix'>
      <target type='virtio' name='org.qemu.guest_agent.0'/>
    </channel>
    <memballoon model='none'/>
  </devices>
</domain>
EOF
  echo "lab: ready. URI: $uri"
  echo "lab: domain XML: $lab/$dom.xml (disks in $lab/disks, guest console in $lab/console.log)"
}

down() {
  if [[ -d "$lab/libvirt" ]]; then
    # every running domain of the lab's root: vc-demo, and a boot or verify --boot left running
    local d
    for d in $(virsh -q -c "$uri" list --name 2>/dev/null); do
      virsh -q -c "$uri" destroy "$d" >/dev/null 2>&1 || true
    done
    if virsh -q -c "$uri" dominfo "$dom" >/dev/null 2>&1; then
      virsh -q -c "$uri" undefine --checkpoints-metadata "$dom" >/dev/null
    fi
  fi
  rm -rf "$lab"
  echo "lab: removed $lab"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
