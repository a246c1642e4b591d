package dev.virtchain.xml;

/**
 * Hand-written libvirt 9.0 documents, shaped like what {@code virsh dumpxml} and
 * {@code virsh checkpoint-dumpxml} print on Debian 12 (single quotes, two-space indent,
 * live-only ids and aliases). {@link SchemaValidationTest} checks each against libvirt's schemas.
 */
final class Fixtures {
    private Fixtures() {}

    /**
     * A running UEFI q35 guest with one disk of every kind the selection must tell apart, a
     * libosinfo metadata block and a qemu namespace element the rewrite must keep.
     */
    static final String UEFI_DOMAIN = """
            <domain type='kvm' id='7' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
              <name>web1</name>
              <uuid>5b3c9f9e-2f6a-4c39-9d0e-3c8d1b7a4f21</uuid>
              <metadata>
                <libosinfo:libosinfo xmlns:libosinfo="http://libosinfo.org/xmlns/libvirt/domain/1.0">
                  <libosinfo:os id="http://debian.org/debian/12"/>
                </libosinfo:libosinfo>
              </metadata>
              <memory unit='KiB'>2097152</memory>
              <currentMemory unit='KiB'>2097152</currentMemory>
              <vcpu placement='static'>2</vcpu>
              <resource>
                <partition>/machine</partition>
              </resource>
              <os>
                <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>
                <loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader>
                <nvram template='/usr/share/OVMF/OVMF_VARS_4M.fd'>/var/lib/libvirt/qemu/nvram/web1_VARS.fd</nvram>
                <boot dev='hd'/>
              </os>
              <features>
                <acpi/>
                <apic/>
                <vmport state='off'/>
              </features>
              <cpu mode='host-passthrough' check='none' migratable='on'/>
              <clock offset='utc'>
                <timer name='rtc' tickpolicy='catchup'/>
                <timer name='pit' tickpolicy='delay'/>
                <timer name='hpet' present='no'/>
              </clock>
              <on_poweroff>destroy</on_poweroff>
              <on_reboot>restart</on_reboot>
              <on_crash>destroy</on_crash>
              <devices>
                <emulator>/usr/bin/qemu-system-x86_64</emulator>
                <disk type='file' device='disk'>
                  <driver name='qemu' type='qcow2' discard='unmap'/>
                  <source file='/var/lib/libvirt/images/web1.qcow2' index='3'/>
                  <backingStore/>
                  <target dev='vda' bus='virtio'/>
                  <alias name='virtio-disk0'/>
                  <address type='pci' domain='0x0000' bus='0x04' slot='0x00' function='0x0'/>
                </disk>
                <disk type='block' device='disk'>
                  <driver name='qemu' type='raw' cache='none' io='native'/>
                  <source dev='/dev/vg0/web1-data' index='2'/>
                  <backingStore/>
                  <target dev='vdb' bus='virtio'/>
                  <shareable/>
                  <alias name='virtio-disk1'/>
                  <address type='pci' domain='0x0000' bus='0x05' slot='0x00' function='0x0'/>
                </disk>
                <disk type='file' device='disk'>
                  <driver name='qemu' type='qcow2'/>
                  <source file='/var/lib/libvirt/images/web1-logs.qcow2' index='1'/>
                  <backingStore type='file' index='4'>
                    <format type='qcow2'/>
                    <source file='/var/lib/libvirt/images/logs-base.qcow2'/>
                    <backingStore/>
                  </backingStore>
                  <target dev='vdc' bus='virtio'/>
                  <alias name='virtio-disk2'/>
                  <address type='pci' domain='0x0000' bus='0x06' slot='0x00' function='0x0'/>
                </disk>
                <disk type='file' device='cdrom'>
                  <driver name='qemu' type='raw'/>
                  <source file='/var/lib/libvirt/iso/debian-12.iso' index='5'/>
                  <backingStore/>
                  <target dev='sda' bus='sata'/>
                  <readonly/>
                  <alias name='sata0-0-0'/>
                  <address type='drive' controller='0' bus='0' target='0' unit='0'/>
                </disk>
                <controller type='usb' index='0' model='qemu-xhci' ports='15'>
                  <alias name='usb'/>
                  <address type='pci' domain='0x0000' bus='0x02' slot='0x00' function='0x0'/>
                </controller>
                <controller type='sata' index='0'>
                  <alias name='ide'/>
                  <address type='pci' domain='0x0000' bus='0x00' slot='0x1f' function='0x2'/>
                </controller>
                <controller type='scsi' index='0' model='virtio-scsi'>
                  <alias name='scsi0'/>
                  <address type='pci' domain='0x0000' bus='0x07' slot='0x00' function='0x0'/>
                </controller>
                <disk type='block' device='lun'>
                  <driver name='qemu' type='raw'/>
                  <source dev='/dev/disk/by-id/wwn-0x5000c500a1b2c3d4' index='6'/>
                  <backingStore/>
                  <target dev='sdb' bus='scsi'/>
                  <alias name='scsi0-0-0-1'/>
                  <address type='drive' controller='0' bus='0' target='0' unit='1'/>
                </disk>
                <disk type='network' device='disk'>
                  <driver name='qemu' type='raw'/>
                  <source protocol='rbd' name='rbd/web1-scratch' index='7'>
                    <host name='ceph1.example.org' port='6789'/>
                  </source>
                  <target dev='vdd' bus='virtio'/>
                  <alias name='virtio-disk3'/>
                  <address type='pci' domain='0x0000' bus='0x08' slot='0x00' function='0x0'/>
                </disk>
                <disk type='volume' device='disk'>
                  <driver name='qemu' type='qcow2'/>
                  <source pool='default' volume='web1-tmp.qcow2'/>
                  <target dev='vde' bus='virtio'/>
                  <alias name='virtio-disk4'/>
                  <address type='pci' domain='0x0000' bus='0x09' slot='0x00' function='0x0'/>
                </disk>
                <interface type='network'>
                  <mac address='52:54:00:4a:1c:9e'/>
                  <source network='default' portid='0f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d' bridge='virbr0'/>
                  <target dev='vnet12'/>
                  <model type='virtio'/>
                  <alias name='net0'/>
                  <address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>
                </interface>
                <interface type='bridge'>
                  <mac address='52:54:00:4a:1c:9f'/>
                  <source bridge='br-dmz'/>
                  <target dev='vnet13'/>
                  <model type='virtio'/>
                  <alias name='net1'/>
                  <address type='pci' domain='0x0000' bus='0x03' slot='0x00' function='0x0'/>
                </interface>
                <serial type='pty'>
                  <source path='/dev/pts/3'/>
                  <target type='isa-serial' port='0'>
                    <model name='isa-serial'/>
                  </target>
                  <alias name='serial0'/>
                </serial>
                <console type='pty' tty='/dev/pts/3'>
                  <source path='/dev/pts/3'/>
                  <target type='serial' port='0'/>
                  <alias name='serial0'/>
                </console>
                <channel type='unix'>
                  <source mode='bind' path='/run/libvirt/qemu/channel/7-web1/org.qemu.guest_agent.0'/>
                  <target type='virtio' name='org.qemu.guest_agent.0' state='connected'/>
                  <alias name='channel0'/>
                  <address type='virtio-serial' controller='0' bus='0' port='1'/>
                </channel>
                <memballoon model='virtio'>
                  <alias name='balloon0'/>
                  <address type='pci' domain='0x0000' bus='0x0a' slot='0x00' function='0x0'/>
                </memballoon>
              </devices>
              <seclabel type='dynamic' model='apparmor' relabel='yes'>
                <label>libvirt-5b3c9f9e-2f6a-4c39-9d0e-3c8d1b7a4f21</label>
                <imagelabel>libvirt-5b3c9f9e-2f6a-4c39-9d0e-3c8d1b7a4f21</imagelabel>
              </seclabel>
              <qemu:commandline>
                <qemu:arg value='-msg'/>
                <qemu:arg value='timestamp=on'/>
              </qemu:commandline>
            </domain>
            """;

    /**
     * virtchain's own test guest: TCG, direct kernel boot from a Debian cloud kernel and a
     * busybox initramfs, one qcow2 disk and a floppy.
     */
    static final String DIRECT_KERNEL_DOMAIN = """
            <domain type='qemu'>
              <name>vc-guest</name>
              <uuid>0d6c4a8e-7b1f-4e2a-9c3d-5f6e7a8b9c0d</uuid>
              <memory unit='KiB'>262144</memory>
              <currentMemory unit='KiB'>262144</currentMemory>
              <vcpu placement='static'>1</vcpu>
              <os>
                <type arch='x86_64' machine='pc-i440fx-7.2'>hvm</type>
                <kernel>/var/lib/virtchain/guest/vmlinuz-6.1.0-18-cloud-amd64</kernel>
                <initrd>/var/lib/virtchain/guest/initrd.cpio.gz</initrd>
                <cmdline>console=ttyS0 quiet</cmdline>
                <boot dev='hd'/>
              </os>
              <clock offset='utc'/>
              <on_poweroff>destroy</on_poweroff>
              <on_reboot>restart</on_reboot>
              <on_crash>destroy</on_crash>
              <devices>
                <emulator>/usr/bin/qemu-system-x86_64</emulator>
                <disk type='file' device='floppy'>
                  <driver name='qemu' type='raw'/>
                  <target dev='fda' bus='fdc'/>
                  <address type='drive' controller='0' bus='0' target='0' unit='0'/>
                </disk>
                <disk type='file' device='disk'>
                  <driver name='qemu' type='qcow2'/>
                  <source file='/var/lib/virtchain/guest/vda.qcow2'/>
                  <target dev='vda' bus='virtio'/>
                  <address type='pci' domain='0x0000' bus='0x00' slot='0x04' function='0x0'/>
                </disk>
                <controller type='fdc' index='0'/>
                <controller type='pci' index='0' model='pci-root'/>
                <serial type='pty'>
                  <target type='isa-serial' port='0'>
                    <model name='isa-serial'/>
                  </target>
                </serial>
                <console type='pty'>
                  <target type='serial' port='0'/>
                </console>
                <memballoon model='none'/>
              </devices>
            </domain>
            """;

    /**
     * What {@code virsh checkpoint-dumpxml --size web1 virtchain.3f2a.0002} prints: the parent,
     * the creation time, per-disk bitmaps with sizes, and the inactive domain definition.
     */
    static final String CHECKPOINT_FROM_LIBVIRT = """
            <domaincheckpoint>
              <name>virtchain.3f2a.0002</name>
              <description>virtchain inc backup 0002</description>
              <parent>
                <name>virtchain.3f2a.0001</name>
              </parent>
              <creationTime>1718102400</creationTime>
              <disks>
                <disk name='vda' checkpoint='bitmap' bitmap='virtchain.3f2a.0002' size='1048576'/>
                <disk name='vdb' checkpoint='no'/>
              </disks>
              <domain type='kvm'>
                <name>web1</name>
                <uuid>5b3c9f9e-2f6a-4c39-9d0e-3c8d1b7a4f21</uuid>
                <memory unit='KiB'>2097152</memory>
                <currentMemory unit='KiB'>2097152</currentMemory>
                <vcpu placement='static'>2</vcpu>
                <os>
                  <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>
                  <boot dev='hd'/>
                </os>
                <on_poweroff>destroy</on_poweroff>
                <on_reboot>restart</on_reboot>
                <on_crash>destroy</on_crash>
                <devices>
                  <emulator>/usr/bin/qemu-system-x86_64</emulator>
                  <disk type='file' device='disk'>
                    <driver name='qemu' type='qcow2' discard='unmap'/>
                    <source file='/var/lib/libvirt/images/web1.qcow2'/>
                    <target dev='vda' bus='virtio'/>
                    <address type='pci' domain='0x0000' bus='0x04' slot='0x00' function='0x0'/>
                  </disk>
                  <disk type='block' device='disk'>
                    <driver name='qemu' type='raw' cache='none' io='native'/>
                    <source dev='/dev/vg0/web1-data'/>
                    <target dev='vdb' bus='virtio'/>
                    <address type='pci' domain='0x0000' bus='0x05' slot='0x00' function='0x0'/>
                  </disk>
                  <controller type='pci' index='0' model='pcie-root'/>
                  <memballoon model='virtio'>
                    <address type='pci' domain='0x0000' bus='0x0a' slot='0x00' function='0x0'/>
                  </memballoon>
                </devices>
              </domain>
            </domaincheckpoint>
            """;
}
