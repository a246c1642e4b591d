/**
 * What one command leaves for others to find: the record of a running boot ({@link
 * dev.virtchain.app.state.BootState}), which {@code boot --stop} reads and a prune checks before
 * it changes chain files; the record of the last backup run ({@link dev.virtchain.app.state.RunRecord}),
 * which {@code status} reads. Below the commands, so that boot and prune, backup and status use them
 * without depending on each other.
 */
package dev.virtchain.app.state;
