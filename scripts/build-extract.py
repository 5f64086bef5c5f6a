#!/usr/bin/env python3
"""Builds the bundled extract of the public Illinois report cards.

Reads the real files in ../shared/data/illinois/ and writes, for each file
the application loads into an empty database, a copy holding only the
columns a column map of states/illinois/columns/ reads (ids, levels,
signatures, mapped headers), every row kept. The copies go to
states/illinois/extract/ with a README listing what they hold; the state's
manifest (states/illinois/state.toml, [[extract]]) says which report-card
year each is imported for.

    python3 scripts/build-extract.py [--data ../shared/data/illinois]
"""

import argparse
import csv
import hashlib
import io
import os
import sys
import tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STATE = os.path.join(ROOT, "states", "illinois")

# Source file -> extract file name, and what it contributes.
FILES = [
    ("isbe_rc2018_general.csv", "rc2018-general.csv", "2018 report card, General sheet: directory, enrolment and demographics, attendance, chronic absenteeism, graduation, 9th grade on track, published summative designations (some withheld)"),
    ("isbe_rc2018_ela_math.csv", "rc2018-ela-math.csv", "2018 report card, ELA and math sheet: proficiency, participation and growth by group"),
    ("isbe_rc2018_isa_science.csv", "rc2018-isa-science.csv", "2018 report card, science (ISA) sheet"),
    ("jserr2_rc2019_title1_frl_merged.csv", "title1-2019.csv", "Title I status list of 2019, standing in for 2018 (imported for report-card year 2018)"),
    ("capstone_k8_panel_2018_2020.csv", "k8-panel-2018-2020.csv", "K-8 panel: official designations of K-8 schools for 2018-2020, proficiency and demographics"),
    ("kpfister_explorer_2019_2025.csv", "explorer-2025.csv", "Illinois School Explorer extract, 2025: demographics and IAR proficiency (higher-performing window)"),
]


def layouts():
    out = []
    for name in sorted(os.listdir(os.path.join(STATE, "columns"))):
        with open(os.path.join(STATE, "columns", name), "rb") as f:
            out.append(tomllib.load(f))
    return out


def kept_headers(headers, layouts):
    """The headers of the first sheet whose signature the file has."""
    for layout in layouts:
        for sheet in layout.get("sheet", []):
            if all(h in headers for h in sheet["signature"]):
                keep = set(sheet["signature"]) | {sheet["id"]}
                keep |= set(sheet.get("level", []))
                if "year_column" in sheet:
                    keep.add(sheet["year_column"])
                keep |= {c["header"] for c in sheet["columns"]}
                return keep, f'{layout["name"]} / {sheet["name"]}'
    return None, None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data", "illinois"))
    args = ap.parse_args()
    out_dir = os.path.join(STATE, "extract")
    os.makedirs(out_dir, exist_ok=True)
    ls = layouts()
    listing = []
    for src, dst, what in FILES:
        path = os.path.join(args.data, src)
        with open(path, encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f))
        headers = [h.strip() for h in rows[0]]
        keep, sheet = kept_headers(headers, ls)
        if keep is None:
            sys.exit(f"{src}: no column map of states/illinois/columns reads this file")
        cols = [i for i, h in enumerate(headers) if h in keep]
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        for r in rows:
            w.writerow([r[i] if i < len(r) else "" for i in cols])
        data = buf.getvalue().encode("utf-8")
        with open(os.path.join(out_dir, dst), "wb") as f:
            f.write(data)
        listing.append((dst, src, sheet, len(rows) - 1, len(cols), len(headers), len(data),
                        hashlib.sha256(open(path, "rb").read()).hexdigest()[:16], what))
        print(f"{dst}: {len(rows) - 1} rows, {len(cols)} of {len(headers)} columns, {len(data) / 1e6:.2f} MB")
    with open(os.path.join(out_dir, "README.md"), "w") as f:
        f.write("# The bundled extract of the public Illinois report cards\n\n")
        f.write("Built by `python3 scripts/build-extract.py` from `../shared/data/illinois/`\n")
        f.write("(see its PROVENANCE.md); do not edit by hand. Each file keeps every row of\n")
        f.write("its source and only the columns a column map of `states/illinois/columns/`\n")
        f.write("reads. `empower` loads them into an empty database, as `state.toml`'s\n")
        f.write("`[[extract]]` says, and publishes them: computed 2018 designations for every\n")
        f.write("school, the official designations the files show (withheld ones stay\n")
        f.write("withheld), the K-8 panel's official 2019 and 2020 designations, and the\n")
        f.write("higher-performing results of the 2018, 2019 and 2025 window.\n\n")
        f.write("| file | source (sha256, first 16) | read as | rows | columns kept | size | holds |\n|---|---|---|---|---|---|---|\n")
        for dst, src, sheet, n, k, total, size, sha, what in listing:
            f.write(f"| `{dst}` | `{src}` ({sha}) | {sheet} | {n} | {k} of {total} | {size / 1e6:.2f} MB | {what} |\n")


if __name__ == "__main__":
    main()
