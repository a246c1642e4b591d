/**
 * What one command leaves for others to find: the record of a running boot ({@link
 * dev.virtchain.app.state.BootState}), which {@code boot --stop} reads and a prune checks before
 * it changes chain files. Below the commands, so that boot and prune both use it without
 * depending on each other.
 */
package dev.virtchain.app.state;
