#!/usr/bin/env python3
"""Turns backup-bench.sh's raw lines into the table (stdout) and the JSON file.

Input lines: "t TOOL-LEVEL-RUN SECONDS", "internal vc-LEVEL-RUN SECONDS",
"size TOOL-LEVEL APPARENT_BYTES ALLOCATED_BYTES". Level "restore": TOOL vc = virtchain restore,
vnb = virtnbdrestore, conv = qemu-img convert of virtchain's chain top (in the "bare" column).
"""
import argparse
import datetime
import json
import statistics
import sys

ap = argparse.ArgumentParser()
ap.add_argument("--runs", type=int, required=True)
ap.add_argument("--json", required=True)
ap.add_argument("--machine", required=True)
ap.add_argument("--load", required=True)
ap.add_argument("--versions", required=True)
ap.add_argument("--restore-compared", type=int, default=0)
a = ap.parse_args()

times, internal, sizes = {}, {}, {}
for line in sys.stdin:
    kind, key, *vals = line.split()
    tool, level, run = key.split("-") if kind != "size" else (*key.split("-"), None)
    if kind == "t":
        times.setdefault((tool, level), []).append(float(vals[0]))
    elif kind == "internal":
        internal.setdefault(level, []).append(float(vals[0]))
    else:
        sizes[(tool, level)] = (int(vals[0]), int(vals[1]))

names = {"vc": "virtchain backup", "vnb": "virtnbdbackup", "bare": "virsh backup-begin (bare push)"}
result = {
    "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    "machine": a.machine,
    "load-average-at-end": a.load,
    "versions": a.versions,
    "runs": a.runs,
    "disk": "4 GiB qcow2, 2 GiB random data; inc = 416 MiB (10.2%) rewritten through HMP qemu-io",
    "restore": "full + inc into one standalone qcow2: vc = virtchain restore --at 1, "
               "vnb = virtnbdrestore, conv = qemu-img convert -O qcow2 of virtchain's chain top",
    "restore-runs-compared-identical": a.restore_compared,
    "median-seconds": {},
    "all-seconds": {},
    "virtchain-internal-median-seconds": {},
    "output-bytes": {},
    "ratios": {},
}
rows = []
ratio = lambda x, y: x / y if y else float("nan")
levels = ("full", "inc", "restore") if any(l == "restore" for _, l in times) else ("full", "inc")
for level in levels:
    med = {}
    for tool in ("vc", "vnb", "conv" if level == "restore" else "bare"):
        xs = times.get((tool, level), [])
        med[tool] = statistics.median(xs) if xs else float("nan")
        result["median-seconds"][f"{tool}-{level}"] = round(med[tool], 3)
        result["all-seconds"][f"{tool}-{level}"] = [round(x, 3) for x in xs]
        ap_, al = sizes.get((tool, level), (0, 0))
        result["output-bytes"][f"{tool}-{level}"] = {"apparent": ap_, "allocated": al}
    if level in internal:
        result["virtchain-internal-median-seconds"][level] = round(statistics.median(internal[level]), 3)
    if level == "restore":
        result["ratios"]["restore-virtchain/virtnbdrestore"] = round(ratio(med["vc"], med["vnb"]), 3)
        result["ratios"]["restore-virtchain/qemu-img-convert"] = round(ratio(med["vc"], med["conv"]), 3)
        result["ratios"]["restore-virtnbdrestore/qemu-img-convert"] = round(ratio(med["vnb"], med["conv"]), 3)
        med["bare"] = med["conv"]
    else:
        result["ratios"][f"{level}-virtchain/virtnbdbackup"] = round(ratio(med["vc"], med["vnb"]), 3)
        result["ratios"][f"{level}-virtchain/bare"] = round(ratio(med["vc"], med["bare"]), 3)
        result["ratios"][f"{level}-virtnbdbackup/bare"] = round(ratio(med["vnb"], med["bare"]), 3)
    rows.append((level, med))

with open(a.json, "w") as f:
    json.dump(result, f, indent=2)
    f.write("\n")

mib = lambda b: f"{b / 1048576:,.0f} MiB"
print(f"backup benchmark, {result['date']}; {a.machine}; load average at the end {a.load}")
print(f"{a.versions}")
print(f"median of {a.runs} runs, wall seconds; output size apparent / allocated")
print()
print(f"| level | virtchain | virtnbdbackup | bare push | virtchain / virtnbdbackup | virtchain / bare | virtnbdbackup / bare |")
print(f"|-------|-----------|---------------|-----------|---------------------------|------------------|----------------------|")
for level, med in rows:
    print(f"| {level} | {med['vc']:.2f} s | {med['vnb']:.2f} s | {med['bare']:.2f} s | "
          f"{ratio(med['vc'], med['vnb']):.2f} | {ratio(med['vc'], med['bare']):.2f} | {ratio(med['vnb'], med['bare']):.2f} |")
if "restore" in levels:
    print()
    print("restore row: full + inc into one standalone qcow2; virtchain = virtchain restore --at 1, "
          "virtnbdbackup = virtnbdrestore, bare push = qemu-img convert -O qcow2 of virtchain's chain top "
          f"(goal virtchain / virtnbdrestore <= 0.6); qemu-img compare: identical in {a.restore_compared} of {a.runs} runs")
print()
print("| output | virtchain | virtnbdbackup | bare push |")
print("|--------|-----------|---------------|-----------|")
for level in levels:
    cells = []
    for tool in ("vc", "vnb", "conv" if level == "restore" else "bare"):
        ap_, al = sizes.get((tool, level), (0, 0))
        cells.append(f"{mib(ap_)} / {mib(al)}")
    print(f"| {level} | " + " | ".join(cells) + " |")
if internal:
    print()
    print("virtchain's own 'seconds' (after JVM start and libvirt connect), median: "
          + ", ".join(f"{k} {v} s" for k, v in result["virtchain-internal-median-seconds"].items()))
for k in sorted(result["all-seconds"]):
    print(f"  {k}: {result['all-seconds'][k]}")
