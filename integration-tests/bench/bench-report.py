#!/usr/bin/env python3
"""Turns bench's raw figures into its one table (stdout) and the results JSON.

Raw lines (backup-bench.sh and bench append them as they measure):
  t ROW TOOL RUN SECONDS        wall time of one run
  rss ROW TOOL RUN MIB          peak RSS of one run (/usr/bin/time -v)
  internal ROW vc RUN SECONDS   the seconds virtchain backup reports itself
  size ROW TOOL APPARENT ALLOC  output bytes
  check TEXT                    a correctness check that passed (qemu-img compare and the like)

Every ratio is computed run by run (both tools measured in the same run), and the figure is the
median of those ratios; the ratio of the medians is given beside it.
"""
import argparse
import datetime
import json
import statistics
import sys

TOOLS = {
    "full": {"vc": "virtchain backup -l full", "vnb": "virtnbdbackup -l full",
             "bare": "virsh backup-begin push (bare)", "old": "virtchain before (VC_BENCH_OLD)"},
    "inc": {"vc": "virtchain backup -l inc", "vnb": "virtnbdbackup -l inc",
            "bare": "virsh backup-begin push (bare)", "old": "virtchain before (VC_BENCH_OLD)"},
    "restore": {"vc": "virtchain restore", "vnb": "virtnbdrestore", "conv": "qemu-img convert",
                "old": "virtchain before (VC_BENCH_OLD)",
                "limit": "the disk's limit (fio: read + durable write)"},
    "flatten": {"vc": "virtchain img flatten", "qemu": "qemu-img convert",
                "qemuwb": "qemu-img convert -t writeback", "cp": "cp of the chain + sync",
                "limit": "the disk's limit (fio: read + durable write)"},
    "slow": {"vc": "virtchain img flatten", "qemu": "qemu-img convert",
             "qemuwb": "qemu-img convert -t writeback", "limit": "the disk's limit (fio: read + durable write)"},
    "flatten32": {"vc": "virtchain img flatten", "qemu": "qemu-img convert"},
    "rebase": {"vc": "virtchain img rebase", "qemu": "qemu-img rebase", "qemusync": "qemu-img rebase + sync",
               "limit": "the disk's limit (fio: read + durable write)"},
    "commit": {"vc": "virtchain img commit", "qemu": "qemu-img commit", "qemusync": "qemu-img commit + sync",
               "limit": "the disk's limit (fio: read + durable write)"},
    "info": {"vc": "virtchain img info", "qemu": "qemu-img info"},
    "reflink-flatten": {"vc": "virtchain img flatten", "qemu": "qemu-img convert",
                        "qemuwb": "qemu-img convert -t writeback", "cp": "cp --reflink=never + sync"},
    "prune": {"vc": "virtchain prune --keep-last 10", "qemu": "qemu-img commit -d inc1",
              "qemusync": "qemu-img commit -d inc1 + sync of the full",
              "cp": "cp of inc1 + sync", "limit": "the disk's limit (fio: read + durable write)"},
    "offsite-push": {"vc": "virtchain push", "rclone": "rclone copy"},
    "offsite-restore": {"vc": "virtchain restore s3://", "rclone": "rclone copy back + virtchain restore"},
    "reflink-restore": {"vc": "virtchain restore", "convsync": "qemu-img convert + sync",
                        "cp": "cp --reflink=never of the set + sync"},
}
RSS_LIMIT_MIB = 256
SAME_RSS = 1.25  # "the same peak memory at 32 GiB as at 4 GiB": within 25%

# (figure, kind, (row, tool), (row, tool) or None, target): target ("ratio", x): median of the
# per-run ratios <= x; ("value", x): virtchain's median < x; None: reported only.
COMPARISONS = [
    ("full backup, 2 GiB", "t", ("full", "vc"), ("full", "vnb"), ("ratio", 0.8)),
    ("full backup, 2 GiB", "t", ("full", "vc"), ("full", "bare"), None),
    ("inc backup, 416 MiB (10%)", "t", ("inc", "vc"), ("inc", "vnb"), ("ratio", 0.6)),
    ("inc backup, 416 MiB (10%)", "t", ("inc", "vc"), ("inc", "bare"), None),
    ("restore full+inc to qcow2", "t", ("restore", "vc"), ("restore", "vnb"), ("ratio", 0.6)),
    ("restore full+inc to qcow2", "t", ("restore", "vc"), ("restore", "conv"), ("ratio", 0.6)),
    ("restore full+inc to qcow2", "t", ("restore", "vc"), ("restore", "limit"), None),
    ("restore full+inc to qcow2", "t", ("restore", "conv"), ("restore", "limit"), None),
    ("restore full+inc to qcow2", "t", ("restore", "vnb"), ("restore", "limit"), None),
    ("restore full+inc to qcow2", "t", ("restore", "vc"), ("restore", "old"), None),
    ("restore full+inc to qcow2", "t", ("restore", "old"), ("restore", "conv"), None),
    ("inc backup, 416 MiB (10%)", "t", ("inc", "vc"), ("inc", "old"), None),
    ("inc backup, 416 MiB (10%)", "t", ("inc", "old"), ("inc", "bare"), None),
    ("flatten 3 layers, 4 GiB", "t", ("flatten", "vc"), ("flatten", "qemu"), ("ratio", 1.0)),
    ("flatten 3 layers, 4 GiB", "t", ("flatten", "vc"), ("flatten", "qemuwb"), ("ratio", 0.8)),
    ("flatten 3 layers, 4 GiB", "t", ("flatten", "vc"), ("flatten", "cp"), ("ratio", 1.0)),
    ("flatten 3 layers, 4 GiB", "t", ("flatten", "vc"), ("flatten", "limit"), ("ratio", 1.25)),
    ("flatten 3 layers, 32 GiB", "t", ("flatten32", "vc"), ("flatten32", "qemu"), ("ratio", 1.0)),
    ("flatten 3 layers, 32 GiB", "t", ("flatten32", "vc"), ("flatten", "limit"), ("ratio", 1.25)),
    ("slow disk (throttled): flatten, 4 GiB", "t", ("slow", "vc"), ("slow", "qemu"), None),
    ("slow disk (throttled): flatten, 4 GiB", "t", ("slow", "vc"), ("slow", "qemuwb"), None),
    ("slow disk (throttled): flatten, 4 GiB", "t", ("slow", "vc"), ("slow", "limit"), None),
    ("peak RSS flatten, 4 GiB", "rss", ("flatten", "vc"), ("flatten", "qemu"), ("value", RSS_LIMIT_MIB)),
    ("peak RSS flatten, 32 GiB", "rss", ("flatten32", "vc"), ("flatten32", "qemu"), ("value", RSS_LIMIT_MIB)),
    ("peak RSS flatten, 32 vs 4 GiB", "rss", ("flatten32", "vc"), ("flatten", "vc"), ("ratio", SAME_RSS)),
    ("safe rebase inc2 onto base", "t", ("rebase", "vc"), ("rebase", "qemu"), ("ratio", 1.0)),
    ("safe rebase inc2 onto base", "t", ("rebase", "vc"), ("rebase", "qemusync"), None),
    ("safe rebase inc2 onto base", "t", ("rebase", "vc"), ("rebase", "limit"), None),
    ("commit inc2 into inc1", "t", ("commit", "vc"), ("commit", "qemu"), ("ratio", 1.0)),
    ("commit inc2 into inc1", "t", ("commit", "vc"), ("commit", "qemusync"), None),
    ("commit inc2 into inc1", "t", ("commit", "vc"), ("commit", "limit"), None),
    ("info --backing-chain, 50 deep", "t", ("info", "vc"), ("info", "qemu"), None),
    ("XFS reflink: flatten, 4 GiB", "t", ("reflink-flatten", "vc"), ("reflink-flatten", "qemu"), ("ratio", 0.8)),
    ("XFS reflink: flatten, 4 GiB", "t", ("reflink-flatten", "vc"), ("reflink-flatten", "qemuwb"), None),
    ("XFS reflink: flatten, 4 GiB", "t", ("reflink-flatten", "vc"), ("reflink-flatten", "cp"), ("ratio", 1.0)),
    ("XFS reflink: restore full+inc", "t", ("reflink-restore", "vc"), ("reflink-restore", "convsync"), None),
    ("XFS reflink: restore full+inc", "t", ("reflink-restore", "vc"), ("reflink-restore", "cp"), None),
    ("prune: drop the full under 10 incs", "t", ("prune", "vc"), ("prune", "qemu"), ("ratio", 1.0)),
    ("prune: drop the full under 10 incs", "t", ("prune", "vc"), ("prune", "qemusync"), None),
    ("prune: drop the full under 10 incs", "t", ("prune", "vc"), ("prune", "cp"), None),
    ("prune: drop the full under 10 incs", "t", ("prune", "vc"), ("prune", "limit"), None),
    ("peak RSS prune", "rss", ("prune", "vc"), ("prune", "qemu"), ("value", RSS_LIMIT_MIB)),
    ("offsite: push full + 10 incs to RGW", "t", ("offsite-push", "vc"), ("offsite-push", "rclone"), ("ratio", 1.0)),
    ("offsite: restore newest from RGW", "t", ("offsite-restore", "vc"), ("offsite-restore", "rclone"),
     ("ratio", 0.7)),
    ("peak RSS restore from RGW", "rss", ("offsite-restore", "vc"), ("offsite-restore", "rclone"),
     ("value", RSS_LIMIT_MIB)),
    ("peak RSS push", "rss", ("offsite-push", "vc"), ("offsite-push", "rclone"), ("value", RSS_LIMIT_MIB)),
]
UNIT = {"t": "s", "rss": "MiB"}


def label(row, tool):
    name = TOOLS.get(row, {}).get(tool, tool)
    if row == "flatten32" or (row == "flatten" and tool == "vc"):
        name += " @32 GiB" if row == "flatten32" else " @4 GiB"
    return name


def parse_args():
    ap = argparse.ArgumentParser()
    ap.add_argument("--raw", required=True)
    ap.add_argument("--json", required=True)
    ap.add_argument("--runs", type=int, required=True)
    ap.add_argument("--parts", required=True)
    ap.add_argument("--started", required=True)
    ap.add_argument("--load-start", required=True)
    ap.add_argument("--load-end", required=True)
    ap.add_argument("--cores", type=int, required=True)
    ap.add_argument("--cpu", required=True)
    ap.add_argument("--ram-kib", type=int, required=True)
    ap.add_argument("--version", action="append", default=[], help="NAME=VERSION")
    ap.add_argument("--compare")
    return ap.parse_args()


def read_raw(path):
    runs = {}      # (kind, row, tool) -> {run: value}
    sizes, checks = {}, []
    for line in open(path):
        f = line.split()
        if not f:
            continue
        if f[0] in ("t", "rss", "internal"):
            runs.setdefault((f[0], f[1], f[2]), {})[int(f[3])] = float(f[4])
        elif f[0] == "size":
            sizes[f"{f[1]}/{f[2]}"] = {"apparent": int(f[3]), "allocated": int(f[4])}
        elif f[0] == "check":
            checks.append(line[len("check "):].strip())
        else:
            sys.exit(f"bench-report: unknown raw line: {line!r}")
    return runs, sizes, checks


def fmt(x, unit):
    if x is None:
        return "-"
    if unit == "MiB":
        return f"{x:.0f} MiB"
    return f"{x:.3f} s" if x < 0.1 else f"{x:.2f} s"


def main():
    a = parse_args()
    runs, sizes, checks = read_raw(a.raw)
    figures = {}
    for (kind, row, tool), per_run in sorted(runs.items()):
        xs = [per_run[r] for r in sorted(per_run)]
        figures[f"{row}/{tool}/{kind}"] = {
            "what": label(row, tool) + (" (its own 'seconds')" if kind == "internal" else ""),
            "unit": UNIT.get(kind, "s"), "runs": xs, "median": round(statistics.median(xs), 3)}

    comparisons = []
    for fig, kind, (ra, ta), (rb, tb), target in COMPARISONS:
        va, vb = runs.get((kind, ra, ta)), runs.get((kind, rb, tb))
        if not va or not vb:
            continue
        paired = [r for r in sorted(va) if r in vb and vb[r] > 0]
        per_run = [va[r] / vb[r] for r in paired]
        ma, mb = statistics.median(va.values()), statistics.median(vb.values())
        ratio = statistics.median(per_run) if per_run else None
        if target is None:
            met = None
        elif target[0] == "ratio":
            met = ratio is not None and ratio <= target[1]
        else:
            met = ma < target[1]
        comparisons.append({
            "figure": fig, "kind": kind, "unit": UNIT[kind],
            "virtchain": {"what": label(ra, ta), "key": f"{ra}/{ta}/{kind}", "median": round(ma, 3)},
            "peer": {"what": label(rb, tb), "key": f"{rb}/{tb}/{kind}", "median": round(mb, 3)},
            "ratio-per-run": [round(x, 3) for x in per_run],
            "ratio": round(ratio, 3) if ratio is not None else None,
            "ratio-of-medians": round(ma / mb, 3) if mb else None,
            "target": None if target is None else
            (f"ratio <= {target[1]}" if target[0] == "ratio" else f"< {target[1]} {UNIT[kind]}"),
            "met": met,
        })

    now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    result = {
        "date": now,
        "started": a.started,
        "machine": {"cores": a.cores, "cpu": a.cpu, "ram-gib": round(a.ram_kib / 1048576, 1)},
        "load-average": {"start": a.load_start, "end": a.load_end},
        "versions": dict(v.split("=", 1) for v in a.version),
        "runs": a.runs,
        "parts": a.parts.split(","),
        "method": "each figure the median of the runs; each ratio the median of the per-run ratios "
                  "(virtchain / peer, both measured in the same run, tools' order rotated per run); "
                  "image parts drop the page cache before every timed command",
        "comparisons": comparisons,
        "figures": figures,
        "output-bytes": sizes,
        "checks": checks,
    }
    with open(a.json, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")

    print(f"virtchain bench, {now}: {a.cores} cores ({a.cpu}), {result['machine']['ram-gib']} GiB RAM, "
          f"load average {a.load_start} at the start, {a.load_end} at the end")
    print("; ".join(f"{k}: {v}" for k, v in result["versions"].items()))
    print(f"median of {a.runs} run(s); ratio = median of the per-run ratios virtchain / peer "
          f"(ratio of the medians in brackets)")
    print()
    head = ["figure", "virtchain", "median", "peer", "median", "ratio", "target", "met"]
    rows = []
    for c in comparisons:
        u = c["unit"]
        ratio = "-" if c["ratio"] is None else f"{c['ratio']:.2f} ({c['ratio-of-medians']:.2f})"
        met = "" if c["met"] is None else ("yes" if c["met"] else "NO")
        rows.append([c["figure"], c["virtchain"]["what"], fmt(c["virtchain"]["median"], u),
                     c["peer"]["what"], fmt(c["peer"]["median"], u), ratio, c["target"] or "-", met or "-"])
    width = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    line = lambda r: "| " + " | ".join(str(x).ljust(w) for x, w in zip(r, width)) + " |"
    print(line(head))
    print("|" + "|".join("-" * (w + 2) for w in width) + "|")
    for r in rows:
        print(line(r))
    print()
    missed = [c for c in comparisons if c["met"] is False]
    targets = [c for c in comparisons if c["met"] is not None]
    print(f"targets met: {len(targets) - len(missed)} of {len(targets)}"
          + (" (missed: " + "; ".join(f"{c['figure']} vs {c['peer']['what']}" for c in missed) + ")" if missed else ""))
    internal = [k for k in figures if k.endswith("/internal")]
    if internal:
        print("virtchain backup's own 'seconds' (after JVM start and libvirt connect), median: "
              + ", ".join(f"{k.split('/')[0]} {figures[k]['median']:.2f} s" for k in internal))
    print(f"checks passed: {len(checks)} (qemu-img compare of every output; see the JSON)")
    for c in checks:
        if "shares" in c or "not measured" in c:
            print(f"  {c}")

    if a.compare:
        old = json.load(open(a.compare))
        print()
        print(f"change against {a.compare} ({old.get('date', '?')}, load {old.get('load-average', {})}):")
        ofig = old.get("figures", {})
        if not set(ofig) & set(figures):
            print("  no figures in common (an older format, or other parts)")
        for k, v in figures.items():
            if k in ofig and ofig[k].get("median"):
                o, n = ofig[k]["median"], v["median"]
                print(f"  {k:32} {v['what']:40} {o:9.2f} -> {n:9.2f} {v['unit']:3} ({(n - o) / o * 100:+.0f}%)")
        ocmp = {(c["figure"], c["peer"]["what"]): c for c in old.get("comparisons", [])}
        for c in comparisons:
            o = ocmp.get((c["figure"], c["peer"]["what"]))
            if o and o.get("ratio") is not None and c["ratio"] is not None:
                print(f"  ratio {c['figure']} / {c['peer']['what']}: {o['ratio']:.2f} -> {c['ratio']:.2f}")


if __name__ == "__main__":
    main()
