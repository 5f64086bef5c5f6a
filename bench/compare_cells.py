"""Checks that empower's cells and DuckDB's aggregation are the same cells
with the same n, mean scale score and proficient count.

usage: python3 compare_cells.py EMPOWER_CELLS.csv DUCKDB.csv
"""
import csv
import sys

ours = {}
with open(sys.argv[1]) as f:
    for r in csv.DictReader(f):
        key = (r["rcdts"], int(r["year"]), int(r["grade"]), r["subject"], r["group"])
        n = int(r["n"])
        ours[key] = (n, float(r["performance"]), round(float(r["proficient_pct"]) * n / 100))
theirs = {}
with open(sys.argv[2]) as f:
    for r in csv.DictReader(f):
        key = (r["school"], int(r["year"]), int(r["grade"]), r["subject"], r["grp"])
        n = int(r["n"])
        theirs[key] = (n, float(r["score_sum"]) / n, int(r["proficient"]))
problems = []
for key in sorted(set(ours) | set(theirs)):
    a, b = ours.get(key), theirs.get(key)
    if a is None or b is None:
        problems.append(f"{key}: only in {'duckdb' if a is None else 'empower'}")
    elif a[0] != b[0] or a[2] != b[2] or abs(a[1] - b[1]) > 1e-9 * max(1.0, abs(b[1])):
        problems.append(f"{key}: empower {a}, duckdb {b}")
if problems:
    print(f"MISMATCH: {len(problems)} cells differ, e.g.", *problems[:5], sep="\n  ")
    sys.exit(1)
print(f"equal: {len(ours)} cells, n, mean scale score and proficient count agree")
