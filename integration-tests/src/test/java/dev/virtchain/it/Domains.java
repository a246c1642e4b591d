package dev.virtchain.it;

import dev.virtchain.app.libvirt.Hypervisor;
import dev.virtchain.app.libvirt.HypervisorException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The test domains one connection defined, started and must tear down again. */
final class Domains {
    private final Hypervisor hv;
    private final List<String> defined = new ArrayList<>();

    Domains(Hypervisor hv) {
        this.hv = hv;
    }

    /** Creates the guest's disks in {@code dir}, defines the domain and starts it running. */
    TestGuest start(Path dir, String name, int disks, long size) throws HypervisorException {
        TestGuest g = TestGuest.create(dir, name, disks, size);
        defined.add(hv.define(g.domainXml()));
        hv.start(name, false);
        return g;
    }

    /** Destroys and undefines every domain started here; reports the first failure after trying all. */
    void tearDown() throws HypervisorException {
        HypervisorException first = null;
        for (String name : defined) {
            try {
                if (hv.isActive(name)) {
                    hv.destroy(name);
                }
                hv.undefine(name);
            } catch (HypervisorException e) {
                first = first == null ? e : first;
            }
        }
        defined.clear();
        if (first != null) {
            throw first;
        }
    }
}
