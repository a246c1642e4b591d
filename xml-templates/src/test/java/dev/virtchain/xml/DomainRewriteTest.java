package dev.virtchain.xml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.UUID;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;

class DomainRewriteTest {
    private static final UUID NEW_UUID = UUID.fromString("9a1b2c3d-4e5f-4061-8172-93a4b5c6d7e8");

    /** Equal as XML: same elements, attributes, text and whitespace; quote style aside. */
    private static void assertSameXml(String expected, String actual) throws LibvirtXmlException {
        Document e = Xml.parseDom(expected, "expected");
        Document a = Xml.parseDom(actual, "actual");
        e.normalizeDocument();
        a.normalizeDocument();
        if (!e.isEqualNode(a)) {
            assertEquals(expected, actual, "documents differ");
        }
    }

    /** {@code xml} without the lines from the one matching {@code first} to the one matching {@code last}. */
    private static String dropLines(String xml, String first, String last) {
        return Pattern.compile("(?m)^ *" + Pattern.quote(first) + "(?s:.*?)" + Pattern.quote(last) + "\n")
                .matcher(xml).replaceAll("");
    }

    @Test
    void withoutRuntimeStateDropsTheIdAliasesSourceIndexesAndTheDynamicLabelAndNothingElse()
            throws LibvirtXmlException {
        String actual = DomainRewrite.of(Fixtures.UEFI_DOMAIN).withoutRuntimeState().toXml();

        String expected = Fixtures.UEFI_DOMAIN.replace("<domain type='kvm' id='7' ", "<domain type='kvm' ")
                .replaceAll("(?m)^ *<alias name='[^']*'/>\n", "")
                .replaceAll("(<source [^>]*) index='\\d+'", "$1")
                .replaceAll("(?s)<seclabel type='dynamic' model='apparmor' relabel='yes'>.*?</seclabel>",
                        "<seclabel type='dynamic' model='apparmor' relabel='yes'/>");
        expected = dropLines(expected, "<backingStore type=", "</backingStore>");
        expected = expected.replaceAll("(?m)^ *<backingStore/>\n", ""); // a rewrite always drops them
        assertFalse(expected.contains("<alias") || expected.matches("(?s).*<source [^>]*index=.*") || expected.contains("<domain type='kvm' id="), expected);
        assertTrue(expected.contains("<controller type='usb' index='0'") && expected.contains("<interface"),
                "the rest stays");
        assertSameXml(expected, actual);
    }

    @Test
    void changesNameUuidDisksBackingStoresAndInterfacesAndNothingElse() throws LibvirtXmlException {
        String actual = DomainRewrite.of(Fixtures.UEFI_DOMAIN)
                .name("web1-restored")
                .uuid(NEW_UUID)
                .disk("vda", "/restore/web1/vda.qcow2", null)
                .disk("vdb", "/restore/web1/vdb.qcow2", "qcow2")
                .nvram("/restore/web1/nvram.fd")
                .removeInterfaces()
                .toXml();

        String expected = Fixtures.UEFI_DOMAIN
                .replace("<name>web1</name>", "<name>web1-restored</name>")
                .replace("<uuid>5b3c9f9e-2f6a-4c39-9d0e-3c8d1b7a4f21</uuid>", "<uuid>" + NEW_UUID + "</uuid>")
                .replace("<source file='/var/lib/libvirt/images/web1.qcow2' index='3'/>",
                        "<source file='/restore/web1/vda.qcow2' index='3'/>")
                .replace("<disk type='block' device='disk'>\n      <driver name='qemu' type='raw' cache='none' io='native'/>\n      <source dev='/dev/vg0/web1-data' index='2'/>",
                        "<disk type='file' device='disk'>\n      <driver name='qemu' type='qcow2' cache='none' io='native'/>\n      <source file='/restore/web1/vdb.qcow2' index='2'/>")
                .replace("web1_VARS.fd</nvram>", "</nvram>")
                .replace("/var/lib/libvirt/qemu/nvram/</nvram>", "/restore/web1/nvram.fd</nvram>");
        expected = dropLines(expected, "<backingStore type=", "</backingStore>");
        expected = expected.replaceAll("(?m)^ *<backingStore/>\n", "");
        expected = dropLines(expected, "<interface ", "</interface>");
        assertFalse(expected.contains("backingStore") || expected.contains("<interface"), expected);

        assertSameXml(expected, actual);
    }

    @Test
    void whatWeDoNotModelSurvives() throws LibvirtXmlException {
        String actual = DomainRewrite.of(Fixtures.UEFI_DOMAIN).name("copy").toXml();
        assertTrue(actual.contains("<qemu:arg value=\"timestamp=on\"/>"), actual);
        assertTrue(actual.contains("<libosinfo:os id=\"http://debian.org/debian/12\"/>"), actual);
        // The JDK's DOM orders attributes by name; libvirt reformats on define anyway.
        assertTrue(actual.contains("<seclabel model=\"apparmor\" relabel=\"yes\" type=\"dynamic\">"), actual);
        assertTrue(actual.startsWith(
                "<domain xmlns:qemu=\"http://libvirt.org/schemas/domain/qemu/1.0\" id=\"7\" type=\"kvm\">"), actual);
    }

    @Test
    void commentsAndUnknownElementsSurviveAndNoDeclarationIsAdded() throws LibvirtXmlException {
        String actual = DomainRewrite.of("""
                <domain type='kvm'>
                  <!-- managed by salt -->
                  <name>a</name>
                  <futureElement answer='42'><nested/></futureElement>
                </domain>""").name("b").toXml();
        assertSameXml("""
                <domain type='kvm'>
                  <!-- managed by salt -->
                  <name>b</name>
                  <futureElement answer='42'><nested/></futureElement>
                </domain>""", actual);
        assertTrue(actual.startsWith("<domain"), actual);
    }

    @Test
    void aMissingUuidIsAddedAfterTheName() throws LibvirtXmlException {
        String actual = DomainRewrite.of("<domain><name>a</name><memory>1</memory></domain>")
                .uuid(NEW_UUID).toXml();
        assertEquals("<domain><name>a</name><uuid>" + NEW_UUID + "</uuid><memory>1</memory></domain>", actual);
    }

    @Test
    void theRewriteReadsBackWithTheNewValues() throws LibvirtXmlException {
        Domain d = Domain.parse(DomainRewrite.of(Fixtures.UEFI_DOMAIN)
                .name("web1-restored").uuid(NEW_UUID)
                .disk("vdb", "/restore/web1/vdb.qcow2", "qcow2")
                .toXml());
        assertEquals("web1-restored", d.name());
        assertEquals(NEW_UUID.toString(), d.uuid());
        assertEquals(new DomainDisk("file", "disk", "qemu", "qcow2", null, "/restore/web1/vdb.qcow2", null,
                "vdb", "virtio", false, true, false, false), d.disk("vdb"));
        assertTrue(d.disks().stream().noneMatch(DomainDisk::backingStore));
        assertEquals("/var/lib/libvirt/images/web1.qcow2", d.disk("vda").source());
    }

    @Test
    void interfacesStayUnlessAskedToGo() throws LibvirtXmlException {
        String actual = DomainRewrite.of(Fixtures.UEFI_DOMAIN).name("x").toXml();
        assertTrue(actual.contains("<mac address=\"52:54:00:4a:1c:9e\"/>"), actual);
    }

    @Test
    void anUnknownTargetDevIsRefused() {
        var e = assertThrows(LibvirtXmlException.class, () -> DomainRewrite.of(Fixtures.UEFI_DOMAIN)
                .disk("vdz", "/restore/vdz.qcow2", null).toXml());
        assertEquals("domain XML: no disk with target dev 'vdz' to point at /restore/vdz.qcow2", e.getMessage());
    }

    @Test
    void aNetworkDiskCannotBePointedAtAFile() {
        var e = assertThrows(LibvirtXmlException.class, () -> DomainRewrite.of(Fixtures.UEFI_DOMAIN)
                .disk("vdd", "/restore/vdd.qcow2", null).toXml());
        assertTrue(e.getMessage().contains("type='network'"), e.getMessage());
    }

    @Test
    void kernelAndInitrdPointAtTheCopiesAndNothingElseChanges() throws LibvirtXmlException {
        String original = Domain.parse(Fixtures.DIRECT_KERNEL_DOMAIN).os().kernel();
        String originalInitrd = Domain.parse(Fixtures.DIRECT_KERNEL_DOMAIN).os().initrd();
        String actual = DomainRewrite.of(Fixtures.DIRECT_KERNEL_DOMAIN)
                .kernel("/restore/n.kernel").initrd("/restore/n.initrd").toXml();
        String expected = Fixtures.DIRECT_KERNEL_DOMAIN
                .replace(">" + original + "<", ">/restore/n.kernel<")
                .replace(">" + originalInitrd + "<", ">/restore/n.initrd<");
        assertFalse(expected.equals(Fixtures.DIRECT_KERNEL_DOMAIN), "the fixture has both");
        assertSameXml(expected, actual);
        DomainOs os = Domain.parse(actual).os();
        assertEquals("/restore/n.kernel", os.kernel());
        assertEquals("/restore/n.initrd", os.initrd());
    }

    @Test
    void aKernelToPointAtMustExist() {
        var e = assertThrows(LibvirtXmlException.class, () -> DomainRewrite.of(Fixtures.UEFI_DOMAIN)
                .kernel("/restore/n.kernel").toXml());
        assertEquals("domain XML: no <os><kernel> to point at /restore/n.kernel", e.getMessage());
    }

    @Test
    void anNvramToPointAtMustExist() {
        var e = assertThrows(LibvirtXmlException.class, () -> DomainRewrite.of(Fixtures.DIRECT_KERNEL_DOMAIN)
                .nvram("/restore/nvram.fd").toXml());
        assertEquals("domain XML: no <os><nvram> to point at /restore/nvram.fd", e.getMessage());
    }

    @Test
    void anotherRootElementIsRefused() {
        var e = assertThrows(LibvirtXmlException.class,
                () -> DomainRewrite.of("<domaincheckpoint/>").name("x").toXml());
        assertEquals("domain XML: root element is <domaincheckpoint>, expected <domain>", e.getMessage());
    }

    @Test
    void anEntityFromOutsideIsNeverRead() {
        String xxe = """
                <?xml version="1.0"?>
                <!DOCTYPE domain [<!ENTITY pw SYSTEM "file:///etc/passwd">]>
                <domain><name>&pw;</name></domain>""";
        assertThrows(LibvirtXmlException.class, () -> DomainRewrite.of(xxe).name("y").toXml());
    }

    @Test
    void aRemovedDiskIsGoneWithAllItsLines() throws LibvirtXmlException {
        String actual = DomainRewrite.of(Fixtures.DIRECT_KERNEL_DOMAIN).removeDisk("fda").toXml();
        String expected = dropLines(Fixtures.DIRECT_KERNEL_DOMAIN, "<disk type='file' device='floppy'>", "</disk>");
        assertSameXml(expected, actual);
    }

    @Test
    void removingADiskThatIsNotThereIsRefused() {
        var e = assertThrows(LibvirtXmlException.class,
                () -> DomainRewrite.of(Fixtures.DIRECT_KERNEL_DOMAIN).removeDisk("vdq").toXml());
        assertEquals("domain XML: no disk with target dev 'vdq' to remove", e.getMessage());
    }

    private static final String CHAR_DEVICES = """
            <domain type='qemu'>
              <name>a</name>
              <devices>
                <serial type='file'>
                  <source path='/var/log/vm/a-serial.log' append='on'/>
                  <target port='0'/>
                </serial>
                <serial type='pty'>
                  <source path='/dev/pts/4'/>
                  <log file='/var/log/vm/a-serial1.log' append='off'/>
                  <target port='1'/>
                </serial>
                <console type='file'>
                  <source path='/var/log/vm/a-serial.log' append='on'/>
                  <target type='serial' port='0'/>
                </console>
                <channel type='unix'>
                  <source mode='bind' path='/run/libvirt/qemu/channel/7-a/org.qemu.guest_agent.0'/>
                  <target type='virtio' name='org.qemu.guest_agent.0'/>
                </channel>
              </devices>
            </domain>
            """;

    @Test
    void characterDeviceFilesMoveIntoTheScratchDirectoryAndSocketsAndPtysAreLeftToLibvirt()
            throws LibvirtXmlException {
        String actual = DomainRewrite.of(CHAR_DEVICES).charDeviceFilesInto("/scratch/a-boot").toXml();
        String expected = CHAR_DEVICES
                .replace("/var/log/vm/a-serial.log", "/scratch/a-boot/a-serial.log")
                .replace("/var/log/vm/a-serial1.log", "/scratch/a-boot/a-serial1.log")
                .replace("      <source path='/dev/pts/4'/>\n", "")
                .replace(" path='/run/libvirt/qemu/channel/7-a/org.qemu.guest_agent.0'", "");
        assertSameXml(expected, actual);
        assertEquals(new Consoles(true, java.util.List.of("/scratch/a-boot/a-serial.log", "/scratch/a-boot/a-serial1.log"),
                true), Consoles.of(actual));
    }

    @Test
    void theSerialConsoleGoesToAFileAndFurtherSerialPortsToNothing() throws LibvirtXmlException {
        String actual = DomainRewrite.of(CHAR_DEVICES).charDeviceFilesInto("/scratch/v")
                .serialToFile("/scratch/v/console.log").toXml();
        assertSameXml("""
                <domain type='qemu'>
                  <name>a</name>
                  <devices>
                    <serial type='file'><source path='/scratch/v/console.log'/>
                      <target port='0'/>
                    </serial>
                    <serial type='null'>
                      <target port='1'/>
                    </serial>
                    <console type='file'><source path='/scratch/v/console.log'/>
                      <target type='serial' port='0'/>
                    </console>
                    <channel type='unix'>
                      <source mode='bind'/>
                      <target type='virtio' name='org.qemu.guest_agent.0'/>
                    </channel>
                  </devices>
                </domain>
                """, actual);
    }

    @Test
    void aDomainWithoutASerialPortGetsOneWritingToTheFile() throws LibvirtXmlException {
        String actual = DomainRewrite.of("<domain><name>a</name><devices><disk/></devices></domain>")
                .serialToFile("/scratch/console.log").toXml();
        assertEquals("<domain><name>a</name><devices><disk/><serial type=\"file\"><source path=\"/scratch/console.log\"/>"
                + "<target port=\"0\"/></serial></devices></domain>", actual);
        assertEquals(new Consoles(false, java.util.List.of("/scratch/console.log"), false), Consoles.of(actual));
    }

    @Test
    void thePtyConsoleOfTheTestGuestBecomesAFile() throws LibvirtXmlException {
        Consoles before = Consoles.of(Fixtures.DIRECT_KERNEL_DOMAIN);
        assertEquals(new Consoles(true, java.util.List.of(), false), before);
        String actual = DomainRewrite.of(Fixtures.DIRECT_KERNEL_DOMAIN).serialToFile("/s/console.log").toXml();
        assertEquals(new Consoles(false, java.util.List.of("/s/console.log"), false), Consoles.of(actual));
    }

    @Test
    void theKernelCommandLineIsReplaced() throws LibvirtXmlException {
        String actual = DomainRewrite.of(Fixtures.DIRECT_KERNEL_DOMAIN).cmdline("console=ttyS0 vc.do=sum").toXml();
        assertSameXml(Fixtures.DIRECT_KERNEL_DOMAIN.replace("<cmdline>console=ttyS0 quiet</cmdline>",
                "<cmdline>console=ttyS0 vc.do=sum</cmdline>"), actual);
        String added = DomainRewrite.of(Fixtures.DIRECT_KERNEL_DOMAIN.replace("    <cmdline>console=ttyS0 quiet</cmdline>\n", ""))
                .cmdline("quiet").toXml();
        assertTrue(added.contains("initrd.cpio.gz</initrd><cmdline>quiet</cmdline>"), added);
    }

    @Test
    void aCommandLineNeedsADirectlyBootedKernel() {
        var e = assertThrows(LibvirtXmlException.class, () -> DomainRewrite.of(Fixtures.UEFI_DOMAIN).cmdline("x").toXml());
        assertEquals("domain XML: no <os><kernel> to give the command line 'x'", e.getMessage());
    }
}
