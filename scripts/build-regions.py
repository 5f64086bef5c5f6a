#!/usr/bin/env python3
"""Writes states/illinois/partners/regions.toml: the ROE / ISC regions of
Illinois (the first two RCDTS characters) with their names.

Names come from the rows of ../shared/data/illinois/isbe_rcdts_nces_crosswalk.csv
whose RecType is ROE or ISC; the three codes without such a row take the
names PROVENANCE.md gives them. Run from the repository's root:

    python3 scripts/build-regions.py
"""
import csv
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "illinois"
OUT = ROOT / "states" / "illinois" / "partners" / "regions.toml"

# PROVENANCE.md: codes with no ROE/ISC row in the crosswalk.
NAMED_IN_PROVENANCE = {
    "15": "City of Chicago",
    "60": "Department of Juvenile Justice",
    "65": "State-operated schools",
}


def main():
    with open(DATA / "isbe_rcdts_nces_crosswalk.csv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    names = {}
    codes_in_use = set()
    for r in rows:
        rcdts = r["RCDTS"].strip()
        if len(rcdts) != 15:
            continue
        code = rcdts[:2]
        if r["RecType"].strip() in ("Sch", "Dist"):
            codes_in_use.add(code)
        if r["RecType"].strip() in ("ROE", "ISC") and code not in names:
            names[code] = r["FacilityName"].strip()
    for code, name in NAMED_IN_PROVENANCE.items():
        names.setdefault(code, name)
    missing = sorted(codes_in_use - set(names))
    lines = [
        "# The ROE / ISC regions of Illinois: the first two characters of an",
        "# RCDTS. Built by scripts/build-regions.py from the crosswalk's ROE and",
        "# ISC rows (isbe_rcdts_nces_crosswalk.csv); 15, 60 and 65 have no such",
        "# row and take the names PROVENANCE.md gives them.",
        "",
    ]
    for code in sorted(names):
        lines.append("[[region]]")
        lines.append(f'code = "{code}"')
        lines.append(f'name = "{names[code]}"')
        lines.append("")
    OUT.write_text("\n".join(lines))
    print(f"{OUT.relative_to(ROOT)}: {len(names)} regions" + (f"; codes of schools without a name: {missing}" if missing else ""))


if __name__ == "__main__":
    main()
