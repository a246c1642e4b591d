package dev.virtchain.chain;

import java.util.UUID;

/** The domain a backup directory belongs to: its name (may change) and its UUID (does not). */
public record Domain(String name, UUID uuid) {
    public Domain {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("domain name is empty");
        }
        if (uuid == null) {
            throw new IllegalArgumentException("domain uuid is missing");
        }
    }
}
