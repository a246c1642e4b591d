package dev.virtchain.xml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class DomainCheckpointTest {

    @Test
    void aNewCheckpointWritesNameDescriptionAndDisks() {
        String xml = DomainCheckpoint.create("virtchain.3f2a.0002", "inc 0002", List.of(
                CheckpointDisk.tracked("vda"),
                CheckpointDisk.tracked("vdc", "virtchain.3f2a.0002"),
                CheckpointDisk.untracked("vdb"))).toXml();
        assertEquals("""
                <domaincheckpoint>
                  <name>virtchain.3f2a.0002</name>
                  <description>inc 0002</description>
                  <disks>
                    <disk name="vda" checkpoint="bitmap"/>
                    <disk name="vdc" checkpoint="bitmap" bitmap="virtchain.3f2a.0002"/>
                    <disk name="vdb" checkpoint="no"/>
                  </disks>
                </domaincheckpoint>
                """, xml);
    }

    @Test
    void whatWeWriteReadsBackEqualApartFromTheRawText() throws LibvirtXmlException {
        DomainCheckpoint cp = DomainCheckpoint.create("virtchain.3f2a.0000", "full <0000> & more",
                List.of(CheckpointDisk.tracked("vda"), CheckpointDisk.untracked("vdb")));
        String xml = cp.toXml();
        DomainCheckpoint back = DomainCheckpoint.parse(xml);
        assertEquals(cp, new DomainCheckpoint(back.name(), back.description(), back.creationTime(),
                back.parent(), back.disks(), back.domain(), null));
        assertSame(xml, back.rawXml());
    }

    @Test
    void readsWhatLibvirtReturns() throws LibvirtXmlException {
        DomainCheckpoint cp = DomainCheckpoint.parse(Fixtures.CHECKPOINT_FROM_LIBVIRT);
        assertEquals("virtchain.3f2a.0002", cp.name());
        assertEquals("virtchain inc backup 0002", cp.description());
        assertEquals(1718102400L, cp.creationTime());
        assertEquals("virtchain.3f2a.0001", cp.parent());
        assertEquals(List.of(new CheckpointDisk("vda", true, "virtchain.3f2a.0002", 1048576L),
                CheckpointDisk.untracked("vdb")), cp.disks());
        assertEquals("web1", cp.domain().name());
        assertEquals("/dev/vg0/web1-data", cp.domain().disk("vdb").source());
    }

    @Test
    void redefinitionGetsTheTextExactlyAsLibvirtGaveIt() throws LibvirtXmlException {
        // A later libvirt's element we do not model must survive for REDEFINE.
        String xml = Fixtures.CHECKPOINT_FROM_LIBVIRT.replace("<disks>",
                "<futureThing flag='on'>kept</futureThing>\n  <disks>");
        DomainCheckpoint cp = DomainCheckpoint.parse(xml);
        assertEquals(xml, cp.redefineXml().orElseThrow());
        assertEquals("virtchain.3f2a.0002", cp.name());
    }

    @Test
    void aCheckpointBuiltHereHasNothingToRedefine() {
        assertTrue(DomainCheckpoint.create("c", null, List.of()).redefineXml().isEmpty());
    }

    @Test
    void aDiskWithoutCheckpointAttributeIsABitmapAsInLibvirt() throws LibvirtXmlException {
        DomainCheckpoint cp = DomainCheckpoint.parse(
                "<domaincheckpoint><name>c</name><disks><disk name='vda'/></disks></domaincheckpoint>");
        assertEquals(CheckpointDisk.tracked("vda"), cp.disks().get(0));
        assertNull(cp.parent());
        assertNull(cp.creationTime());
        assertNull(cp.domain());
    }

    @Test
    void aNameLibvirtWouldRefuseIsRefusedHere() {
        assertThrows(IllegalArgumentException.class, () -> DomainCheckpoint.create(".hidden", null, List.of()));
        assertThrows(IllegalArgumentException.class, () -> DomainCheckpoint.create("a/b", null, List.of()));
    }

    @Test
    void aCheckpointWithoutNameIsRefused() {
        var e = assertThrows(LibvirtXmlException.class,
                () -> DomainCheckpoint.parse("<domaincheckpoint><description>x</description></domaincheckpoint>"));
        assertEquals("domaincheckpoint XML: no <name>", e.getMessage());
    }

    @Test
    void anUntrackedDiskWithABitmapIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new CheckpointDisk("vda", false, "b", null));
    }

    @Test
    void anUnknownCheckpointModeIsRefused() {
        var e = assertThrows(LibvirtXmlException.class, () -> DomainCheckpoint.parse(
                "<domaincheckpoint><name>c</name><disks><disk name='vda' checkpoint='snapshot'/></disks></domaincheckpoint>"));
        assertTrue(e.getMessage().contains("checkpoint='snapshot'"), e.getMessage());
    }

    @Test
    void aCreationTimeThatIsNoNumberIsRefused() {
        var e = assertThrows(LibvirtXmlException.class, () -> DomainCheckpoint.parse(
                "<domaincheckpoint><name>c</name><creationTime>yesterday</creationTime></domaincheckpoint>"));
        assertEquals("domaincheckpoint XML: checkpoint 'c': creationTime is not a number: 'yesterday'", e.getMessage());
    }
}
