/**
 * Retention: which points in time a prune keeps, and the file operations that drop the others
 * without ever changing what a kept point reads (docs/DESIGN.md, "Retention: prune"). Pure functions of
 * immutable records; nothing here reads or writes a file or talks to libvirt.
 *
 * <ul>
 * <li>{@link dev.virtchain.chain.prune.RetentionPolicy}: the keep rules, as restic forget has them,
 *     and how they count periods ({@code HOW_RULES_COUNT}, for {@code --help}).</li>
 * <li>{@link dev.virtchain.chain.prune.PrunePlan#of}: the one entry point, from a manifest, a policy,
 *     a clock and the files' sizes to the decisions and the ordered
 *     {@link dev.virtchain.chain.prune.PruneStep}s an executor journals and runs.</li>
 * </ul>
 */
package dev.virtchain.chain.prune;
