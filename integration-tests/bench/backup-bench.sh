#!/usr/bin/env bash
# The backup part of `bench` (integration-tests/bench/bench --only backup runs it alone): virtchain
# backup against virtnbdbackup, and against a bare `virsh backup-begin` push (libvirt and qemu
# alone: the floor of any push backup), on the same domain through the same libvirt daemon, in
# the same run; then the restore of full + inc. Debian 12, as root. `bench` installs the packages
# and builds the jar first, and turns the figures into its table and JSON.
#
#   integration-tests/bench/backup-bench.sh RUNS RAW [SET]
#     RAW  file the raw figures are appended to, one per line, as soon as measured:
#          "t ROW TOOL RUN SECONDS", "internal ROW vc RUN SECONDS", "size ROW TOOL APPARENT ALLOCATED",
#          "check ROW TEXT" (ROW full, inc or restore; TOOL vc, vnb, bare or conv)
#     SET  if given, the last run's virtchain backup set (full + inc) is moved there for later
#          parts (the restore on XFS)
#   Without RAW it runs `bench --only backup --runs RUNS` instead.
#
# What it does:
# - refuses to run beside another libvirtd (the integration tests start their own; one at a time);
# - starts its own libvirtd (virtnbdbackup needs a daemon: it asks libvirt for a pull-mode NBD
#   export, which the embedded driver cannot give a second process). The daemon runs in a
#   private mount namespace with temporary /etc/libvirt, /run/libvirt, /var/lib/libvirt,
#   /var/cache/libvirt and /var/log/libvirt, and listens on a socket under the work directory.
#   qemu.conf as the integration tests use it, with stdio_handler = "file": no virtlogd needed.
#   Both tools and virsh connect with qemu:///system?socket=WORK/sock/libvirt-sock;
# - the domain: TCG, no OS, one 4 GiB qcow2 virtio disk holding 2 GiB of random data
#   (2 GiB from /dev/urandom converted into the image before the domain starts);
# - each run, for each of the three in turn (order rotated per run) on a domain without
#   checkpoints (virtnbdbackup refuses to run beside checkpoints it did not create): a full
#   backup, then 10% of the disk (26 x 16 MiB at random non-overlapping offsets inside the
#   2 GiB of data, so every full copies the same 2 GiB; random data; the same slots and
#   contents for every tool in a run, so their full + inc hold the same disk)
#   rewritten by the running qemu through HMP `qemu-io ... "write -s FILE OFF LEN"` so the
#   dirty bitmaps see it, then an inc backup. Wall time of each command as a user runs it: virtchain includes JVM
#   start, fsync of the targets and the checksum (crc32c) of every file it writes; virtnbdbackup its
#   defaults (stream format, no compression, -n for no progress bar); bare = qemu-img create
#   of the target + virsh backup-begin --reuse-external + polling virsh domjobinfo every 0.1 s.
# - then, in each run, the restore of full + inc into one standalone qcow2 (order of the first
#   two rotated per run; the page cache dropped before each, as a restore meets its backup):
#   `virtchain restore DIR -o OUT --at 1` (JVM start, the chain check against the manifest, the
#   checksum of every file read (its default: on, beside the flatten), the native flatten and its
#   fsync, the domain XML), `virtnbdrestore
#   -i DIR -o OUT` (replays the full and the inc stream into a qcow2 through its own qemu-nbd;
#   qcow2 is its output format) and, for reference, `qemu-img convert -O qcow2` of virtchain's
#   chain top. The run fails unless `qemu-img compare` calls the two restored images identical.
#
# VC_BENCH_TOOLS picks and orders the tools (default "vc vnb bare"; "old" adds the virtchain of
# the checkout in VC_BENCH_OLD, built, for before and after in the same run; without vnb the
# restores are virtchain's, old's and qemu-img convert's).
# VC_BENCH_TRACE=DIR keeps each virtchain run's stderr there (backup-LEVEL-RUN.trace,
# restore-RUN.trace): run with VIRTCHAIN_TRACE=1 to see where its time goes.
#
# Work files in ${VC_BENCH_DIR:-/var/tmp/vc-backup-bench} (about 12 GiB at the peak, with the
# three restored images), deleted at the end unless VC_BENCH_KEEP is set.
set -euo pipefail
here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)
runs=${1:-3}
if [[ -z ${2:-} ]]; then
  exec "$here/integration-tests/bench/bench" --only backup --runs "$runs"
fi
raw=$(readlink -f "$2")
set_dir=${3:-}
work=${VC_BENCH_DIR:-/var/tmp/vc-backup-bench}
dom=vcbench
disk_size=$((4 << 30))
data_size=$((2 << 30))
chunk=$((16 << 20))
chunks=26                       # 26 x 16 MiB = 416 MiB = 10.2% of 4 GiB

log() { echo "bench: $*" >&2; }

# ---- prerequisites (bench installs the packages and builds the jar) ------------------------
if pids=$(pgrep -x libvirtd); then
  log "a libvirtd is already running (pid $(echo $pids)); only one can run at a time on this machine: stop it (or wait for the tests that started it) and rerun"
  exit 1
fi
id libvirt-qemu >/dev/null 2>&1 || useradd --system --user-group libvirt-qemu
virtchain="$here/virtchain"

# ---- a private libvirtd --------------------------------------------------------------------
rm -rf "$work"
mkdir -p "$work"/{etc,run,lib,cache,logs,sock,out,data}
uri="qemu:///system?socket=$work/sock/libvirt-sock"
cat > "$work/etc/qemu.conf" <<'EOF'
user = "root"
group = "root"
dynamic_ownership = 0
security_driver = "none"
stdio_handler = "file"
EOF
cat > "$work/etc/libvirtd.conf" <<EOF
unix_sock_dir = "$work/sock"
auth_unix_rw = "none"
log_outputs = "3:file:$work/libvirtd.log"
EOF
daemon_pid=
cleanup() {
  set +e
  if [[ -n "$daemon_pid" ]]; then
    virsh -q -c "$uri" destroy "$dom" >/dev/null 2>&1
    virsh -q -c "$uri" undefine --checkpoints-metadata "$dom" >/dev/null 2>&1
    kill "$daemon_pid" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$daemon_pid" 2>/dev/null
  fi
  [[ -n "${VC_BENCH_KEEP:-}" ]] || rm -rf "$work"
}
trap cleanup EXIT
# shellcheck disable=SC2016
unshare --mount --propagation private -- sh -c '
  w=$0
  mount --bind "$w/etc" /etc/libvirt && mount --bind "$w/run" /run/libvirt &&
  mount --bind "$w/lib" /var/lib/libvirt && mount --bind "$w/cache" /var/cache/libvirt &&
  mount --bind "$w/logs" /var/log/libvirt &&
  exec libvirtd --pid-file "$w/libvirtd.pid"' "$work" >"$work/libvirtd.out" 2>&1 &
daemon_pid=$!
for _ in $(seq 600); do
  virsh -q -c "$uri" version >/dev/null 2>&1 && break
  kill -0 "$daemon_pid" 2>/dev/null || { cat "$work/libvirtd.out" >&2; log "libvirtd exited"; exit 1; }
  sleep 0.1
done
virsh -q -c "$uri" version >/dev/null || { log "libvirtd does not answer on $uri"; exit 1; }

# ---- the benchmark domain ------------------------------------------------------------------
log "writing $((data_size >> 20)) MiB of random data into a $((disk_size >> 30)) GiB qcow2 disk"
head -c "$data_size" /dev/urandom > "$work/data/random.raw"
qemu-img convert -f raw -O qcow2 "$work/data/random.raw" "$work/data/disk.qcow2"
qemu-img resize -q "$work/data/disk.qcow2" "$disk_size"
rm -f "$work/data/random.raw"
cat > "$work/$dom.xml" <<EOF
<domain type='qemu'>
  <name>$dom</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <on_reboot>destroy</on_reboot>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2' discard='unmap'/>
      <source file='$work/data/disk.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <memballoon model='none'/>
  </devices>
</domain>
EOF
virsh -q -c "$uri" define "$work/$dom.xml" >/dev/null
virsh -q -c "$uri" start "$dom" >/dev/null

# ---- the three ways to back up -------------------------------------------------------------
now() { date +%s.%N; }

vc_backup() {          # level dir run
  "$virtchain" backup -c "$uri" -d "$dom" -o "$2" -l "$1" --json >"$2.json" 2>"$2.err"
  [[ -z ${VC_BENCH_TRACE:-} ]] || cp "$2.err" "$VC_BENCH_TRACE/backup-$1-$3.trace"
}
old_backup() {         # level dir: the virtchain of another checkout (VC_BENCH_OLD), for before/after
  "$VC_BENCH_OLD/virtchain" backup -c "$uri" -d "$dom" -o "$2" -l "$1" --json >"$2.json" 2>"$2.err"
}
vnb_backup() {         # level dir
  virtnbdbackup -U "$uri" -d "$dom" -l "$1" -o "$2" -n >"$2.log" 2>&1
}
bare_backup() {        # level dir run
  local level=$1 dir=$2 r=$3 inc=""
  mkdir -p "$dir"
  if [[ $level == full ]]; then
    qemu-img create -q -f qcow2 "$dir/vda.qcow2" "$disk_size"
  else
    inc="<incremental>bare.$r.full</incremental>"
    qemu-img create -q -f qcow2 -b "$work/out/bare-full-$r/vda.qcow2" -F qcow2 "$dir/vda.qcow2"
  fi
  cat > "$dir/backup.xml" <<EOF
<domainbackup mode='push'>$inc<disks><disk name='vda' type='file'><driver type='qcow2'/><target file='$dir/vda.qcow2'/></disk></disks></domainbackup>
EOF
  cat > "$dir/checkpoint.xml" <<EOF
<domaincheckpoint><name>bare.$r.$level</name><disks><disk name='vda' checkpoint='bitmap'/></disks></domaincheckpoint>
EOF
  virsh -q -c "$uri" backup-begin "$dom" "$dir/backup.xml" "$dir/checkpoint.xml" --reuse-external >/dev/null
  local info
  while info=$(virsh -q -c "$uri" domjobinfo "$dom") && grep -q "Backup" <<<"$info"; do sleep 0.1; done
  info=$(virsh -q -c "$uri" domjobinfo "$dom" --completed)
  grep -q "Completed" <<<"$info" || { log "bare backup-begin did not complete:"; echo "$info" >&2; return 1; }
}

vc_restore() {         # backup-dir out-dir run: full + inc (seq 1) into one standalone qcow2
  "$virtchain" restore "$1" -o "$2" --at 1 >"$2.log" 2>&1 || { cat "$2.log" >&2; return 1; }
  [[ -z ${VC_BENCH_TRACE:-} ]] || cp "$2.log" "$VC_BENCH_TRACE/restore-$3.trace"
}
old_restore() {        # backup-dir out-dir: as vc_restore, with VC_BENCH_OLD's virtchain
  "$VC_BENCH_OLD/virtchain" restore "$1" -o "$2" --at 1 >"$2.log" 2>&1 || { cat "$2.log" >&2; return 1; }
}
vnb_restore() {        # backup-dir out-dir: all of the set (full + inc), qcow2 output
  virtnbdrestore -U "$uri" -i "$1" -o "$2" -n -L "$2.vnb.log" >"$2.log" 2>&1 || { cat "$2.log" >&2; return 1; }
}
conv_restore() {       # backup-dir out-dir: qemu-img convert of virtchain's chain top
  mkdir -p "$2"
  qemu-img convert -O qcow2 "$1/vda.0001.inc.qcow2" "$2/vda.qcow2"
}

new_rewrite() {        # picks this run's 26 random 16 MiB slots of the data's 128 and their random contents
  local i=0 slot
  rm -rf "$work/data/chunks"; mkdir -p "$work/data/chunks"
  # inside the 2 GiB of data, so the disk holds the same 2 GiB for every tool and every run
  for slot in $(shuf -n "$chunks" -i 0-$(((data_size / chunk) - 1))); do
    head -c "$chunk" /dev/urandom > "$work/data/chunks/$i.$slot"
    i=$((i + 1))
  done
}
rewrite_10pct() {      # writes this run's slots: every tool's inc sees the same 416 MiB rewritten
  local f slot          # (the same writes again after the first tool: its bitmap sees them all)
  for f in "$work/data/chunks"/*; do
    slot=${f##*.}
    virsh -q -c "$uri" qemu-monitor-command "$dom" --hmp \
      "qemu-io -d /machine/peripheral/virtio-disk0/virtio-backend \"write -s $f $((slot * chunk)) $chunk\"" \
      | { grep -v '^$' || true; } >&2
  done
}

declare -A t            # t[tool-level-run] = seconds
declare -A size         # size[tool-level] = apparent bytes (last run)
declare -A alloc        # alloc[tool-level] = allocated bytes (last run)

timed() {              # key command... ; records the wall time of the command
  local key=$1; shift
  local a b
  a=$(now); "$@"; b=$(now)
  t[$key]=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", b - a }')
  log "$(printf '%-16s %7.2f s' "$key" "${t[$key]}")"
  local tool level run
  IFS=- read -r tool level run <<<"$key"
  echo "t $level $tool $run ${t[$key]}" >>"$raw"
}

drop_checkpoints() {   # all of them, children first: virtnbdbackup refuses to run beside foreign ones
  local c
  for c in $(virsh -q -c "$uri" checkpoint-list "$dom" --name --topological | tac); do
    virsh -q -c "$uri" checkpoint-delete "$dom" "$c" >/dev/null
  done
}

vc_internal() {        # level run json: the seconds virtchain reports itself (after JVM start and libvirt connect)
  local s
  s=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["seconds"])' "$3")
  echo "internal $1 vc $2 $s" >>"$raw"
}

sizes() {              # key file... ; apparent and allocated bytes
  local key=$1; shift
  size[$key]=$(du -cb --apparent-size "$@" | tail -1 | cut -f1)
  alloc[$key]=$(( $(du -ck "$@" | tail -1 | cut -f1) * 1024 ))
  echo "size ${key#*-} ${key%%-*} ${size[$key]} ${alloc[$key]}" >>"$raw"
}

read -r -a tools <<<"${VC_BENCH_TOOLS:-vc vnb bare}"
for r in $(seq "$runs"); do
  order=("${tools[@]:$(((r - 1) % 3))}" "${tools[@]:0:$(((r - 1) % 3))}")
  log "run $r of $runs: ${order[*]}"
  rm -rf "$work"/out/*
  new_rewrite
  # One tool at a time, each on a domain without checkpoints: full, 10% rewritten, inc.
  # virtchain's and virtnbdbackup's backups stay for the restores below.
  for tool in "${order[@]}"; do
    drop_checkpoints
    sync
    out="$work/out/$tool"
    case $tool in
      vc)   timed "vc-full-$r" vc_backup full "$out" "$r"
            vc_internal full "$r" "$out.json"
            sizes vc-full "$out"/vda.0000.full.qcow2 ;;
      old)  timed "old-full-$r" old_backup full "$out"
            sizes old-full "$out"/vda.0000.full.qcow2 ;;
      vnb)  timed "vnb-full-$r" vnb_backup full "$out"
            sizes vnb-full "$out"/vda.full.data ;;
      bare) timed "bare-full-$r" bare_backup full "$work/out/bare-full-$r" "$r"
            sizes bare-full "$work/out/bare-full-$r/vda.qcow2" ;;
    esac
    sync
    rewrite_10pct
    sync
    case $tool in
      vc)   timed "vc-inc-$r" vc_backup inc "$out" "$r"
            vc_internal inc "$r" "$out.json"
            sizes vc-inc "$out"/vda.0001.inc.qcow2 ;;
      old)  timed "old-inc-$r" old_backup inc "$out"
            sizes old-inc "$out"/vda.0001.inc.qcow2 ;;
      vnb)  timed "vnb-inc-$r" vnb_backup inc "$out"
            sizes vnb-inc "$out"/vda.inc.*.data ;;
      bare) timed "bare-inc-$r" bare_backup inc "$work/out/bare-inc-$r" "$r"
            sizes bare-inc "$work/out/bare-inc-$r/vda.qcow2"
            rm -rf "$work"/out/bare-* ;;
    esac
  done
  # Restore full + inc into one standalone qcow2: virtchain restore against virtnbdrestore
  # (order rotated per run), and qemu-img convert of virtchain's chain top for reference.
  if [[ -d "$work/out/vc" ]]; then
    rtools=(vc)
    [[ ! -d "$work/out/vnb" ]] || rtools+=(vnb)
    [[ ! -d "$work/out/old" ]] || rtools+=(old)
    rtools+=(conv)
    n=$(((r - 1) % ${#rtools[@]}))
    rorder=("${rtools[@]:n}" "${rtools[@]:0:n}")
    for tool in "${rorder[@]}"; do
      sync
      echo 3 >/proc/sys/vm/drop_caches # cold, as a restore meets its backup (and as bench's limit row reads)
      case $tool in
        vc)   timed "vc-restore-$r" vc_restore "$work/out/vc" "$work/out/vc-restore" "$r"
              sizes vc-restore "$work/out/vc-restore/vda.qcow2" ;;
        old)  timed "old-restore-$r" old_restore "$work/out/old" "$work/out/old-restore"
              sizes old-restore "$work/out/old-restore/vda.qcow2" ;;
        vnb)  timed "vnb-restore-$r" vnb_restore "$work/out/vnb" "$work/out/vnb-restore"
              sizes vnb-restore "$work/out/vnb-restore"/*.qcow2 ;;
        conv) timed "conv-restore-$r" conv_restore "$work/out/vc" "$work/out/conv-restore"
              sizes conv-restore "$work/out/conv-restore/vda.qcow2" ;;
      esac
    done
    # Correctness: every restore holds the same data (qemu-img compare exits 0 only if identical).
    others=("$work/out/conv-restore/vda.qcow2")
    if [[ -d "$work/out/vnb" ]]; then
      vnb_img=("$work/out/vnb-restore"/*.qcow2)
      ((${#vnb_img[@]} == 1)) || { log "virtnbdrestore wrote ${#vnb_img[@]} qcow2 files: ${vnb_img[*]}"; exit 1; }
      others+=("${vnb_img[0]}")
    fi
    [[ ! -d "$work/out/old" ]] || others+=("$work/out/old-restore/vda.qcow2")
    for other in "${others[@]}"; do
      if ! cmp_out=$(qemu-img compare -f qcow2 -F qcow2 "$work/out/vc-restore/vda.qcow2" "$other" 2>&1); then
        log "restored images differ: virtchain restore / $other: $cmp_out"; exit 1
      fi
      log "restore compare virtchain / ${other#"$work"/out/}: $cmp_out"
      echo "check restore run $r: qemu-img compare virtchain restore / ${other#"$work"/out/}: $cmp_out" >>"$raw"
    done
  fi
done
if [[ -n $set_dir && -d "$work/out/vc" ]]; then
  rm -rf "$set_dir"
  mv "$work/out/vc" "$set_dir"
fi
rm -rf "$work"/out/*
drop_checkpoints

