package dev.virtchain.chain;

import java.util.UUID;

/**
 * The domain a backup directory belongs to: its name (may change), its UUID (does not), and the
 * libvirt URI its latest backup was made through (null when unknown: manifests from before it was
 * recorded), which restore's hints name.
 */
public record Domain(String name, UUID uuid, String uri) {
    public Domain {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("domain name is empty");
        }
        if (uuid == null) {
            throw new IllegalArgumentException("domain uuid is missing");
        }
        if (uri != null && uri.isEmpty()) {
            throw new IllegalArgumentException("domain uri is empty");
        }
    }

    /** A domain whose URI is not known. */
    public Domain(String name, UUID uuid) {
        this(name, uuid, null);
    }
}
