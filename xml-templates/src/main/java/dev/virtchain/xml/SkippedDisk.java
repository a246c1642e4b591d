package dev.virtchain.xml;

/**
 * A domain disk virtchain does not back up, and why.
 *
 * @param disk   the disk as the domain XML has it
 * @param reason one line for the user, e.g. {@code cdrom: removable media is not backed up}
 */
public record SkippedDisk(DomainDisk disk, String reason) {}
