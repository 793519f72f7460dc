#!/usr/bin/env python3
"""Generate the demo registry's shelters.csv: synthetic shelters in the 25
Dutch safety regions. Names are invented; there are no addresses (real
shelter locations are confidential). Deterministic: the same seed gives the
same file, so the committed file can be regenerated and compared.

    tools/gen-demo-registry.py registry/demo/regions.csv > registry/demo/shelters.csv
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


def main():
    rng = random.Random(20261123)
    regions = [r["code"] for r in csv.DictReader(open(sys.argv[1]))]
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["id", "name", "region", "security_level", "beds"])
    for code in regions:
        for n in range(1, rng.randint(8, 12) + 1):
            beds = [(c, rng.randint(lo, hi)) for c, p, lo, hi in CATS
                    if rng.random() < p]
            if not beds:
                beds = [("women", rng.randint(4, 16))]
            security = 3 if any(c == "highsec" for c, _ in beds) \
                else rng.choice([0, 0, 1, 1, 2])
            name = f"{rng.choice(PREFIX)} {rng.choice(NOUN)} {n}"
            out.writerow([f"SH-{SHORT[code]}-{n:03d}", name, code, security,
                          " ".join(f"{c}:{k}" for c, k in beds)])


if __name__ == "__main__":
    main()
