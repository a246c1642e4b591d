#!/usr/bin/env bash
# Flatten benchmark: virtchain img flatten vs qemu-img convert -O qcow2 vs cp of the chain.
#
# Builds a chain in a temporary directory: a 4 GiB qcow2 base holding 2 GiB of random data
# (1 MiB pieces at random offsets), plus two overlays that each rewrite 10% of the disk
# (64 KiB..1 MiB pieces of random data at random 4 KiB-aligned offsets, so overlay clusters
# are partly copied from below). Then, in the same run, it measures
#   - the wall time of each tool, the median of BENCH_RUNS (3) rounds in which the tools take
#     turns. flatten makes its output
#     durable (fsync before the rename); qemu-img convert does not (its target cache mode is
#     'unsafe': the output is still dirty in the page cache when it exits), so it is timed
#     both as it is and followed by 'sync FILE', the durable equivalent; cp is followed by sync;
#   - flatten's and qemu-img's peak RSS (/usr/bin/time -v) at 4 GiB and at a 32 GiB sparse
#     virtual size holding the same data (the same chain, every layer resized to 32 GiB).
# BENCH_CACHE=cold (default) drops the page cache before every run (needs root); =warm
# leaves it, so the chain is read from memory after the first run. Not part of mvn verify.
#
# Usage (Debian 12, as root): integration-tests/bench/flatten-bench.sh
# Environment: BENCH_DIR (default: a new directory under /var/tmp, removed at the end unless
# BENCH_KEEP=1), BENCH_RUNS (3), BENCH_CACHE (cold|warm), VIRTCHAIN_JAVA_OPTS (passed to the jvm).
set -euo pipefail

root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)
runs=${BENCH_RUNS:-3}
cache=${BENCH_CACHE:-cold}
GiB=$((1 << 30))
MiB=$((1 << 20))

need=()
command -v qemu-img >/dev/null || need+=(qemu-utils)
[[ -x /usr/bin/time ]] || need+=(time)
command -v java >/dev/null || need+=(openjdk-17-jre-headless)
if ((${#need[@]})); then
  apt-get update -q && apt-get install -y -q "${need[@]}"
fi
if [[ ! -f "$root/app/target/virtchain.jar" ]]; then
  (cd "$root" && mvn -B -q package -DskipTests)
fi
if [[ $cache == cold ]] && ! { sync && echo 3 >/proc/sys/vm/drop_caches; } 2>/dev/null; then
  echo "cannot drop the page cache (not root?); rerun with BENCH_CACHE=warm" >&2
  exit 1
fi

work=${BENCH_DIR:-$(mktemp -d /var/tmp/flatten-bench.XXXXXX)}
mkdir -p "$work"
[[ ${BENCH_KEEP:-0} == 1 ]] || trap 'rm -rf "$work"' EXIT
cd "$work"
RANDOM=20241122 # reproducible offsets

# --- the chain -----------------------------------------------------------------------------
echo "building the chain in $work ..."
head -c $((8 * MiB)) /dev/urandom >pool.bin # 8 different 1 MiB sources for overlay writes
for i in 0 1 2 3 4 5 6 7; do dd if=pool.bin of=src$i.bin bs=1M skip=$i count=1 status=none; done
truncate -s 4G base.raw
# 2 GiB of random data: 2048 of the disk's 4096 MiB, picked at random.
for mib in $(seq 0 4095 | shuf -n 2048 --random-source=<(yes 1) | sort -n); do
  dd if=/dev/urandom of=base.raw bs=1M seek="$mib" count=1 conv=notrunc status=none
done
qemu-img convert -q -f raw -O qcow2 base.raw base.qcow2
rm base.raw

# Writes random pieces into $1 until 10% of the disk has been rewritten.
rewrite_tenth() {
  local img=$1 done=0 target=$((4 * GiB / 10)) cmds=()
  while ((done < target)); do
    local len=$(((64 + (RANDOM % 961)) * 1024)) # 64 KiB .. 1 MiB
    local off=$((((RANDOM << 15 | RANDOM) % ((4 * GiB - len) / 4096)) * 4096))
    cmds+=(-c "write -q -s src$((RANDOM % 8)).bin $off $len")
    done=$((done + len))
  done
  qemu-io "${cmds[@]}" "$img" >/dev/null
}
qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 inc1.qcow2
rewrite_tenth inc1.qcow2
qemu-img create -q -f qcow2 -b inc1.qcow2 -F qcow2 inc2.qcow2
rewrite_tenth inc2.qcow2

mkdir big
for f in base inc1 inc2; do
  cp --sparse=always $f.qcow2 big/
  qemu-img resize -q big/$f.qcow2 32G
done
chain_bytes=$(du -cb base.qcow2 inc1.qcow2 inc2.qcow2 | tail -1 | cut -f1)

# --- measuring -----------------------------------------------------------------------------
# once NAME OUTPUT CMD...: runs CMD once (OUTPUT removed before and after) and appends its
# wall time (s) and peak RSS (MiB) to times[NAME] and rsss[NAME].
declare -A times rsss
once() {
  local name=$1 out=$2 s e
  shift 2
  rm -rf "$out"
  sync
  [[ $cache == warm ]] || echo 3 >/proc/sys/vm/drop_caches
  s=$(date +%s.%N)
  /usr/bin/time -v -o time.txt "$@" >/dev/null
  e=$(date +%s.%N)
  times[$name]+="$(echo "$e - $s" | bc) "
  rsss[$name]+="$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' time.txt) "
  rm -rf "$out"
}
median() { printf '%s\n' $1 | sort -g | sed -n "$(((runs + 1) / 2))p"; }
report() { # NAME LABEL: prints the medians and sets $t and $rss
  t=$(median "${times[$1]}") rss=$(median "${rsss[$1]}")
  printf '  %-34s %8.2f s  %6d MiB peak RSS   (runs: %s)\n' "$2" "$t" "$rss" "${times[$1]% }"
}

copy_chain() { # the floor: read every byte of the chain's files once and write them once
  mkdir "$1"
  cp --sparse=always "${@:2}" "$1/"
  sync "$1"/*
}
export -f copy_chain

vc="$root/virtchain"
# The tools take turns within each round, so load from elsewhere on the machine falls on all of them.
for ((i = 0; i < runs; i++)); do
  once vc4 flat.qcow2 "$vc" img flatten -O qcow2 inc2.qcow2 flat.qcow2
  once qemu4 conv.qcow2 qemu-img convert -O qcow2 inc2.qcow2 conv.qcow2
  once qemusync4 conv.qcow2 bash -c 'qemu-img convert -O qcow2 inc2.qcow2 conv.qcow2 && sync conv.qcow2'
  once cp4 copy bash -c 'copy_chain copy base.qcow2 inc1.qcow2 inc2.qcow2'
  once vc32 big/flat.qcow2 "$vc" img flatten -O qcow2 big/inc2.qcow2 big/flat.qcow2
  once qemu32 big/conv.qcow2 qemu-img convert -O qcow2 big/inc2.qcow2 big/conv.qcow2
done

echo
echo "chain: base 4 GiB (2 GiB data) <- inc1 (10%) <- inc2 (10%), $((chain_bytes / MiB)) MiB of files;"
echo "qemu-img $(qemu-img --version | head -1 | awk '{print $3}'), $(nproc) cores, page cache: $cache, median of $runs runs"
echo "4 GiB virtual size:"
report vc4 "virtchain img flatten -O qcow2"
t_vc=$t rss_vc4=$rss
report qemu4 "qemu-img convert -O qcow2"
t_qemu=$t rss_qemu4=$rss
report qemusync4 "qemu-img convert -O qcow2 + sync"
t_qemu_sync=$t
report cp4 "cp of the chain's files (floor)"
t_cp=$t
echo "32 GiB virtual size, same data:"
report vc32 "virtchain img flatten -O qcow2"
t_vc32=$t rss_vc32=$rss
report qemu32 "qemu-img convert -O qcow2"
rss_qemu32=$rss

echo
printf 'flatten / qemu-img convert: %.2fx   (target <= 1.0x, goal 0.8x)\n' "$(echo "$t_vc / $t_qemu" | bc -l)"
printf 'flatten / qemu-img + sync:  %.2fx   (both outputs durable)\n' "$(echo "$t_vc / $t_qemu_sync" | bc -l)"
printf 'flatten / cp floor:         %.2fx\n' "$(echo "$t_vc / $t_cp" | bc -l)"
printf 'qemu-img / cp floor:        %.2fx\n' "$(echo "$t_qemu / $t_cp" | bc -l)"
printf 'flatten 32 GiB / 4 GiB:     %.2fx time, peak RSS %d -> %d MiB (qemu-img %d -> %d MiB)\n' \
  "$(echo "$t_vc32 / $t_vc" | bc -l)" "$rss_vc4" "$rss_vc32" "$rss_qemu4" "$rss_qemu32"
