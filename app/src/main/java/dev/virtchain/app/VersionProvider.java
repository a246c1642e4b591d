package dev.virtchain.app;

import dev.virtchain.app.libvirt.HostVersions;
import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/**
 * {@code virtchain --version}: the release and the commit the jar was built from (the build
 * writes them into {@code build.properties}), then what virtchain finds on this host: libvirt,
 * qemu and the JVM. Never fails: what is missing is "not found".
 */
public final class VersionProvider implements IVersionProvider {
    @Override
    public String[] getVersion() {
        Properties build = buildProperties();
        return new String[] {
            "virtchain " + build.getProperty("version", "dev") + " (commit " + build.getProperty("commit", "unknown") + ")",
            "libvirt: " + HostVersions.libvirt().orElse("not found"),
            "qemu: " + HostVersions.qemu().orElse("not found"),
            "java: " + System.getProperty("java.runtime.version") + " (" + System.getProperty("java.vm.vendor") + ")"};
    }

    private static Properties buildProperties() {
        Properties p = new Properties();
        try (InputStream in = VersionProvider.class.getResourceAsStream("build.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // an unreadable resource reads as none: "dev", "unknown"
        }
        return p;
    }
}
