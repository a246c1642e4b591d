package dev.virtchain.it;

import dev.virtchain.app.libvirt.Hypervisor;
import dev.virtchain.app.libvirt.HypervisorException;
import dev.virtchain.qcow2.testing.Qemu;
import dev.virtchain.xml.DomainRewrite;
import dev.virtchain.xml.LibvirtXmlException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A guest with an operating system: the test guest of {@code guest/build-guest.sh} (Debian's
 * cloud kernel and a busybox initramfs, booted directly under TCG) on small qcow2 disks. Its
 * /init obeys {@code vc.do=} on the kernel command line and reports on the serial port, which
 * goes to a file: {@code VC-READY}, {@code VC-SUM <disk> <sha256>}, {@code VC-DONE}.
 *
 * @param name   the domain name
 * @param uuid   kept across redefinitions, which change only the command line and console file
 * @param kernel the directory holding vmlinuz and initrd.img
 * @param disks  per target (vda, vdb, ...), the disk image
 */
record KernelGuest(String name, UUID uuid, Path kernel, Map<String, Path> disks) {
    /** The guest agent's virtio-serial channel; libvirt picks the socket's path. */
    static final String AGENT_CHANNEL = "    <channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/>"
            + "</channel>\n";
    private static final Pattern SUM = Pattern.compile("VC-SUM (vd[a-z]) ([0-9a-f]{64})");

    /** Builds (or finds cached) the guest kernel and initramfs; returns their directory. */
    static Path buildKernel() {
        Path script = Path.of("guest/build-guest.sh").toAbsolutePath();
        Qemu.Result r = Qemu.run(script.getParent(), "bash", script.toString());
        if (r.exitCode() != 0) {
            throw new AssertionError("guest/build-guest.sh exited " + r.exitCode() + ":\n" + r.stdout() + r.stderr());
        }
        String[] lines = r.stdout().strip().split("\n");
        return Path.of(lines[lines.length - 1].strip());
    }

    /** Creates the qcow2 disks in {@code dir}: targets vda, vdb, ... with the given sizes. */
    static KernelGuest create(Path dir, String name, Path kernel, long... sizes) {
        Map<String, Path> disks = new TreeMap<>();
        for (int i = 0; i < sizes.length; i++) {
            String target = "vd" + (char) ('a' + i);
            Path disk = dir.resolve(name + "-" + target + ".qcow2");
            Qemu.img(dir, "create", "-q", "-f", "qcow2", disk.toString(), Long.toString(sizes[i]));
            disks.put(target, disk);
        }
        return new KernelGuest(name, UUID.randomUUID(), kernel, Map.copyOf(disks));
    }

    /** The domain XML with {@code cmdline} appended to the console settings, serial port to {@code console}. */
    String domainXml(String cmdline, Path console) throws LibvirtXmlException {
        return domainXml(cmdline, console, false);
    }

    /**
     * As {@link #domainXml(String, Path)}, with the guest agent's virtio-serial channel when
     * {@code agent}: the guest's /init then starts qemu-ga on it.
     */
    String domainXml(String cmdline, Path console, boolean agent) throws LibvirtXmlException {
        StringBuilder x = new StringBuilder();
        x.append("<domain type='qemu'>\n")
                .append("  <name>").append(name).append("</name>\n")
                .append("  <uuid>").append(uuid).append("</uuid>\n")
                .append("  <memory unit='MiB'>256</memory>\n")
                .append("  <vcpu>1</vcpu>\n")
                .append("  <os>\n")
                .append("    <type arch='x86_64' machine='pc'>hvm</type>\n")
                .append("    <kernel>").append(kernel.resolve("vmlinuz")).append("</kernel>\n")
                .append("    <initrd>").append(kernel.resolve("initrd.img")).append("</initrd>\n")
                .append("    <cmdline>console=ttyS0</cmdline>\n")
                .append("  </os>\n")
                // Without ACPI (libvirt's default) the guest has no power-off and no PCI interrupt routing.
                .append("  <features><acpi/><apic/></features>\n")
                .append("  <on_poweroff>destroy</on_poweroff>\n")
                .append("  <on_reboot>destroy</on_reboot>\n")
                .append("  <on_crash>destroy</on_crash>\n")
                .append("  <devices>\n");
        for (Map.Entry<String, Path> d : new TreeMap<>(disks).entrySet()) {
            x.append("    <disk type='file' device='disk'>\n")
                    .append("      <driver name='qemu' type='qcow2'/>\n")
                    .append("      <source file='").append(d.getValue()).append("'/>\n")
                    .append("      <target dev='").append(d.getKey()).append("' bus='virtio'/>\n")
                    .append("    </disk>\n");
        }
        x.append("    <interface type='user'><model type='virtio'/></interface>\n")
                .append("    <serial type='pty'><target port='0'/></serial>\n")
                .append("    <console type='pty'><target type='serial' port='0'/></console>\n")
                .append(agent ? AGENT_CHANNEL : "")
                .append("    <memballoon model='none'/>\n")
                .append("  </devices>\n")
                .append("</domain>\n");
        return DomainRewrite.of(x.toString()).cmdline("console=ttyS0 panic=-1 " + cmdline)
                .serialToFile(console.toString()).toXml();
    }

    /** (Re)defines the persistent domain with {@code cmdline} and its console in {@code console}. */
    void define(Hypervisor hv, String cmdline, Path console) throws HypervisorException, LibvirtXmlException {
        hv.define(domainXml(cmdline, console));
    }

    /**
     * Starts the defined domain and waits until the guest powered off; returns its console.
     * {@code vc.do=write} and {@code sum} power off when done.
     */
    String runToPowerOff(Hypervisor hv, Path console) throws IOException, InterruptedException {
        hv.start(name, false);
        try {
            awaitStopped(hv, name, Duration.ofMinutes(2));
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; its console:\n"
                    + (Files.exists(console) ? Files.readString(console) : "(no file " + console + ")"), e);
        }
        return Files.readString(console);
    }

    /** Waits until {@code domain} is no longer running (or, transient, no longer exists). */
    static void awaitStopped(Hypervisor hv, String domain, Duration timeout) throws HypervisorException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (running(hv, domain)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(domain + " still runs after " + timeout.toSeconds() + " s");
            }
            Thread.sleep(200);
        }
    }

    static boolean running(Hypervisor hv, String domain) throws HypervisorException {
        try {
            return hv.isActive(domain);
        } catch (HypervisorException e) {
            if (e.isNoDomain()) {
                return false;
            }
            throw e;
        }
    }

    /** The {@code VC-SUM} lines of a console: per disk, the sha256 of its whole content. */
    static Map<String, String> sums(String console) {
        Map<String, String> sums = new TreeMap<>();
        Matcher m = SUM.matcher(console);
        while (m.find()) {
            sums.put(m.group(1), m.group(2));
        }
        if (sums.isEmpty()) {
            throw new AssertionError("no VC-SUM lines on the console:\n" + console);
        }
        return sums;
    }

    List<String> targets() {
        return new ArrayList<>(new TreeMap<>(disks).keySet());
    }
}
