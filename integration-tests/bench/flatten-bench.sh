#!/usr/bin/env bash
# Replaced by the one benchmark command: this runs its flatten part (virtchain img flatten vs
# qemu-img convert, also + sync, vs cp of the chain + sync, page cache dropped before every run;
# peak RSS at 4 and 32 GiB virtual size). BENCH_RUNS (3) is passed as --runs, BENCH_DIR as
# --work, BENCH_KEEP=1 as --keep. See integration-tests/bench/bench --help.
set -euo pipefail
args=(--only flatten --runs "${BENCH_RUNS:-3}")
[[ -z ${BENCH_DIR:-} ]] || args+=(--work "$BENCH_DIR")
[[ ${BENCH_KEEP:-0} != 1 ]] || args+=(--keep)
exec "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/bench" "${args[@]}" "$@"
