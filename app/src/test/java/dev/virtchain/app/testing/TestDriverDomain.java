package dev.virtchain.app.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The fixture set's domain, web01 (BackupSetFixture's UUID), as libvirt's test driver defines it from
 * a node file: shut off, one qcow2 disk vda, so that {@code backup -l copy} runs a real offline copy
 * and every level that needs it running is refused.
 */
public final class TestDriverDomain {
    private TestDriverDomain() {
    }

    /** Writes {@code node} describing web01 with disk {@code disk}, and returns the URI that opens it. */
    public static String web01(Path node, Path disk) throws IOException {
        Files.writeString(node, """
                <node>
                  <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
                    <name>web01</name>
                    <uuid>0b5a6b1e-3c7e-4d2e-9a53-1f0f0f0f0f01</uuid>
                    <memory>262144</memory>
                    <os><type>hvm</type></os>
                    <devices>
                      <disk type='file' device='disk'>
                        <driver name='qemu' type='qcow2'/>
                        <source file='%s'/>
                        <target dev='vda' bus='virtio'/>
                      </disk>
                    </devices>
                    <test:runstate>5</test:runstate>
                  </domain>
                </node>
                """.formatted(disk));
        return "test://" + node;
    }
}
