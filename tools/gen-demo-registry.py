#!/usr/bin/env python3
"""Generate the demo registry's shelters.csv: synthetic shelters in the 25
Dutch safety regions. Names are invented; there are no addresses (real
shelter locations are confidential). Deterministic: the same seed gives the
same file, so the committed file can be regenerated and compared.

    tools/gen-demo-registry.py registry/demo/regions.csv > registry/demo/shelters.csv
    tools/gen-demo-registry.py --norms registry/demo/regions.csv > registry/demo/norms.csv
    tools/gen-demo-registry.py --reserves registry/demo/regions.csv > registry/demo/reserves.csv

--norms writes the capacity norms (docs/registry.md) of the same shelters:
per region and category a little under the registered beds, as a region
that meets its norm keeps some slack, except for a few regions that fall
short (SHORT_OF_NORM), and one norm that rises on a date.

--reserves writes contingency reserve beds (docs/registry.md): about one
shelter in four can open a few beds of one of its categories on request,
some within 24 h, more within 72 h.
"""
import csv
import random
import sys

SHORT = {
    "VR01": "GRO", "VR02": "FRL", "VR03": "DRE", "VR04": "IJS", "VR05": "TWE",
    "VR06": "NOG", "VR07": "GMI", "VR08": "GZU", "VR09": "UT", "VR10": "NHN",
    "VR11": "ZWA", "VR12": "KEN", "VR13": "AMS", "VR14": "GOV", "VR15": "HGL",
    "VR16": "HMI", "VR17": "RR", "VR18": "ZHZ", "VR19": "ZEE", "VR20": "MWB",
    "VR21": "BNO", "VR22": "BZO", "VR23": "LNO", "VR24": "LZU", "VR25": "FLE",
}
PREFIX = ["Huis", "Hof", "Villa", "Erf", "Home", "Oase"]
NOUN = ["De Linde", "Het Baken", "De Haven", "Het Kompas", "De Vuurtoren",
        "Het Anker", "De Meander", "Horizon", "De Zonnebloem", "De Eik",
        "Het Veer", "De Brug", "Morgenrood", "De Wilg", "Het Lichtpunt",
        "De Kastanje", "Dageraad", "De Beuk", "Het Ruim", "De Esdoorn"]
# category: (share of shelters that have it, min beds, max beds)
CATS = [("women", 0.60, 4, 16), ("men", 0.30, 4, 12), ("minors", 0.30, 2, 8),
        ("highsec", 0.15, 2, 6), ("children", 0.35, 2, 10)]


# (region, category): how far the norm is above the registered beds. The
# big cities' demand outgrows what their shelters offer.
SHORT_OF_NORM = {("VR13", "women"): 1.35, ("VR17", "minors"): 1.5}
# A norm that changes on a date: (region, category, from, factor).
RISING = ("VR09", "women", "2027-01-01", 1.25)
NORM_FROM = "2026-01-01"


def shelters(rng, regions):
    """Yield the rows of shelters.csv after its header."""
    for code in regions:
        for n in range(1, rng.randint(8, 12) + 1):
            beds = [(c, rng.randint(lo, hi)) for c, p, lo, hi in CATS
                    if rng.random() < p]
            if not beds:
                beds = [("women", rng.randint(4, 16))]
            security = 3 if any(c == "highsec" for c, _ in beds) \
                else rng.choice([0, 0, 1, 1, 2])
            name = f"{rng.choice(PREFIX)} {rng.choice(NOUN)} {n}"
            yield [f"SH-{SHORT[code]}-{n:03d}", name, code, security,
                   " ".join(f"{c}:{k}" for c, k in beds)]


def norms(rows, out):
    beds = {}
    for _, _, code, _, text in rows:
        for part in text.split():
            cat, k = part.split(":")
            beds[(code, cat)] = beds.get((code, cat), 0) + int(k)
    out.writerow(["region", "category", "beds", "valid_from"])
    for (code, cat), have in beds.items():
        factor = SHORT_OF_NORM.get((code, cat), 0.9)
        out.writerow([code, cat, max(1, round(have * factor)), NORM_FROM])
        if (code, cat) == RISING[:2]:
            out.writerow([code, cat, round(have * RISING[3]), RISING[2]])


def reserves(rows, out):
    # A generator of its own: the shelters stay what they were.
    rng = random.Random(20261129)
    out.writerow(["shelter", "category", "beds_24h", "beds_72h"])
    for sid, _, _, _, text in rows:
        if rng.random() >= 0.25:
            continue
        cat = rng.choice(text.split()).split(":")[0]
        within_24h = rng.randint(0, 2)
        out.writerow([sid, cat, within_24h, within_24h + rng.randint(1, 3)])


def main():
    rng = random.Random(20261123)
    args = sys.argv[1:]
    mode = args[0] if args[:1] in (["--norms"], ["--reserves"]) else None
    want_norms = mode == "--norms"
    if mode:
        args = args[1:]
    regions = [r["code"] for r in csv.DictReader(open(args[0]))]
    out = csv.writer(sys.stdout, lineterminator="\n")
    rows = list(shelters(rng, regions))
    if want_norms:
        norms(rows, out)
        return
    if mode == "--reserves":
        reserves(rows, out)
        return
    out.writerow(["id", "name", "region", "security_level", "beds"])
    for row in rows:
        out.writerow(row)


if __name__ == "__main__":
    main()
