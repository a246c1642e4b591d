package dev.virtchain.app.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * libvirt's test driver with one domain of one qcow2 disk {@code vda}: a node file in a directory,
 * reached as {@code test:///PATH/node.xml}. The test driver keeps domains and checkpoints in memory
 * and has no backup job, no job statistics and no qemu.
 */
public final class TestDriverNode {
    /** The UUID of the domain web01 of {@link BackupSetFixture}. */
    public static final String WEB01_UUID = "0b5a6b1e-3c7e-4d2e-9a53-1f0f0f0f0f01";

    private TestDriverNode() {
    }

    /**
     * Writes {@code dir/node.xml} with the domain {@code name} ({@code uuid}) on {@code disk},
     * running or shut off, and returns the URI that reaches it.
     */
    public static String write(Path dir, String name, String uuid, Path disk, boolean running) throws IOException {
        Path node = dir.resolve("node.xml");
        Files.writeString(node, """
                <node>
                  <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
                    <name>%s</name>
                    <uuid>%s</uuid>
                    <memory>262144</memory>
                    <os><type>hvm</type></os>
                    <devices>
                      <disk type='file' device='disk'>
                        <driver name='qemu' type='qcow2'/>
                        <source file='%s'/>
                        <target dev='vda' bus='virtio'/>
                      </disk>
                    </devices>
                    <test:runstate>%d</test:runstate>
                  </domain>
                </node>
                """.formatted(name, uuid, disk, running ? 1 : 5)); // virDomainState: 1 running, 5 shut off
        return "test://" + node;
    }
}
