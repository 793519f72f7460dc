"""An export opened and saved by a real spreadsheet imports unchanged, into
the real daemon: LibreOffice's "CSV UTF-8" with a byte-order mark and its
Dutch ';' file (fixtures/spreadsheet, made once: its README has the
commands). Quoted names with ',', ';' and '"' in them go in and out; the
separator read is stated; a broken file is refused naming its line and
column."""
import csv
import io
import json
import os

from harness import Daemon, check, check_eq, main

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "fixtures", "spreadsheet")
BOM = "\ufeff"
REGISTRY_COLUMNS = ["id", "name", "region", "security_level", "beds",
                    "deadline_secs"]
# The same shelters with plain names and other beds: importing a fixture
# over this changes every one of them back.
PLAIN = """id,name,region,security_level,beds
A1,A one,R1,1,women:4
A2,A two,R1,0,women:6
B1,B one,R2,2,men:5
C1,C one,R3,3,women:10
C2,C two,R3,0,children:4
"""


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as f:
        return f.read()


def registry_rows(text, sep=","):
    """The registry columns of an export's text, as Python's csv reads
    them."""
    if text.startswith(BOM):
        text = text[1:]
    rows = list(csv.DictReader(io.StringIO(text), delimiter=sep))
    return [[r[c] for c in REGISTRY_COLUMNS] for r in rows]


def daemon(shelters):
    d = Daemon(config="[daemon]\ntick_ms = 100\n")
    return d.with_registry(fixture("regions.csv"), shelters).start()


def export(d):
    r = d.ctl("export", "--csv")
    check_eq(r.rc, 0, f"export: {r.err}")
    return r.out


def write(d, name, text):
    path = os.path.join(d.tmp, name)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    return path


def imported(d, path, want, how):
    r = d.ctl("import", path)
    check_eq(r.rc, 0, f"import {path}: {r}")
    check(r.out.startswith(f"{path}: {want}"), f"{path}: {want}: {r.out}")
    check(f"  read as CSV separated by {how}" in r.out,
          f"the separator is stated ({how}): {r.out}")
    return r


def test_the_fixtures_are_what_they_claim():
    """A guard on the files themselves: a BOM, ';', and the same registry
    as the export they were saved from."""
    original = fixture("export.csv")
    bom = fixture("export-libreoffice-utf8-bom.csv")
    nl = fixture("export-libreoffice-nl-semicolon.csv")
    check(not original.startswith(BOM), "the export has no BOM")
    check(bom.startswith(BOM + "id,name,region,"), "a BOM, then ','")
    check(nl.startswith("id;name;region;"), "';' separated")
    check(bom != original and nl != original,
          "the spreadsheet changed the bytes")
    want = registry_rows(original)
    check_eq(len(want), 5, "five shelters")
    check(any('"' in r[1] and "," in r[1] for r in want) and
          any(";" in r[1] for r in want), f"names that need quotes {want}")
    check_eq(registry_rows(bom), want, "the BOM file's registry columns")
    check_eq(registry_rows(nl, ";"), want, "the ';' file's registry columns")


def test_spreadsheet_files_import_unchanged():
    original = fixture("export.csv")
    d = daemon(fixture("shelters.csv"))
    try:
        check_eq(d.report("-s", "A1", "-b", "women=4/3").rc, 0, "A1")
        check_eq(d.report("-s", "C1", "-b", "women=10/2", "-b",
                          "highsec=2/1").rc, 0, "C1")
        check_eq(registry_rows(export(d)), registry_rows(original),
                 "the daemon's registry is the fixture's")
        plain = write(d, "plain.csv", PLAIN)
        for name, how in (
                ("export.csv", "commas (,)"),
                ("export-libreoffice-utf8-bom.csv",
                 "commas (,), a UTF-8 byte-order mark skipped"),
                ("export-libreoffice-nl-semicolon.csv", "semicolons (;)")):
            path = os.path.join(FIXTURES, name)
            before = export(d)
            status = d.status()
            # Over itself: nothing changes, not the state either.
            imported(d, path, "0 added, 0 removed, 0 changed, 5 unchanged",
                     how)
            check_eq(export(d), before, f"export unchanged by {name}")
            check_eq(d.status(), status, f"picture unchanged by {name}")
            # Over other names and beds: it puts every one back.
            imported(d, plain, "0 added, 0 removed, 5 changed", "commas")
            imported(d, path, "0 added, 0 removed, 5 changed", how)
            check_eq(registry_rows(export(d)), registry_rows(original),
                     f"{name} gives back the registry it was saved from")
        # The JSON export carries the same names through.
        r = d.ctl("export", "--json")
        check_eq(r.rc, 0, f"json export {r.err}")
        doc = json.loads(r.out)
        check_eq(doc["shelters"][0]["name"], 'Huis "De Haven", Utrecht',
                 "a quoted name in JSON")
        r = d.ctl("import", write(d, "export.json", r.out))
        check(r.rc == 0 and "0 changed, 5 unchanged" in r.out and
              "read as" not in r.out, f"JSON import {r}")
        check_eq(export(d), before, "still the same")
        d.stop()
    finally:
        d.cleanup()


def test_bom_id_column_and_quotes():
    """What the first spreadsheet files tripped over: a BOM before "id", a
    ';' file, a quoted name with the separator or a quote in it."""
    d = daemon(PLAIN)
    try:
        path = write(d, "bom.csv", BOM + PLAIN.replace(
            "A1,A one,", 'A1,"A one, or ""1""",').replace(
            "B1,B one,", 'B1,"B; one",'))
        r = d.ctl("--json", "import", path)
        check_eq(r.rc, 0, f"BOM file {r}")
        check_eq((r.json()["changed_ids"], r.json()["separator"],
                  r.json()["byte_order_mark"]), (["A1", "B1"], ",", True),
                 "the two new names")
        check_eq(d.ctl("--json", "shelter", "A1").json()["name"],
                 'A one, or "1"', "a quoted ',' and a doubled quote")
        check_eq(d.ctl("--json", "shelter", "B1").json()["name"], "B; one",
                 "a ';' in a ',' file")
        semi = "id;name;region;security_level;beds\r\n" + \
            'A1;"A one, or ""1""";R1;1;women:4\r\n' + \
            'B1;"B; one";R2;2;men:5\r\n' + \
            "\r\n".join(line.replace(",", ";") for line in
                        PLAIN.splitlines()[2:] if not line.startswith("B1")
                        ) + "\r\n"
        r = d.ctl("--json", "import", write(d, "semi.csv", semi))
        check_eq(r.rc, 0, f"';' file {r}")
        check_eq((r.json()["unchanged"], r.json()["separator"],
                  r.json()["byte_order_mark"]), (5, ";", False),
                 "the same shelters from a ';' file")
        # An export quotes what needs it, and reads back the same.
        text = export(d)
        check('A1,"A one, or ""1""",R1,' in text, f"quoted: {text}")
        check("\nB1,B; one,R2," in text, f"not quoted: {text}")
        imported(d, write(d, "again.csv", text),
                 "0 added, 0 removed, 0 changed, 5 unchanged", "commas")
        d.stop()
    finally:
        d.cleanup()


def test_errors_name_line_and_column():
    d = daemon(PLAIN)
    try:
        before = export(d)
        lines = PLAIN.splitlines()
        cases = [
            # (name, text, exit status, what the error must say)
            ("open.csv", "\n".join(lines[:2] + ['A2,"A two,R1,0,women:6'] +
                                   lines[3:]) + "\n", 2,
             "open.csv line 3, column 4: the quoted field that starts "
             "here is never closed"),
            ("quote.csv", "\n".join(lines[:2] + ['A2,A "two",R1,0,women:6'] +
                                    lines[3:]) + "\n", 2,
             "quote.csv line 3, column 6: a quote inside a field"),
            ("after.csv", "\n".join(lines[:2] + ['A2,"A two" x,R1,0,women:6']
                                    + lines[3:]) + "\n", 2,
             "after.csv line 3, column 12: text after the closing quote"),
            ("fields.csv", "\n".join(lines[:3] + ["B1;B one;R2;2;men:5"] +
                                     lines[4:]) + "\n", 2,
             "fields.csv line 4, column 20: expected at least 5 fields"),
            # The daemon's error, at the file's line and column, in a
            # ';' file whose quotes the sent text does not have.
            ("region.csv", "\ufeffid;name;region;security_level;beds\n"
             'A1;"A; one";R1;1;women:4\n'
             '"B1";"B one";R9;2;men:5\n', 1,
             "region.csv line 3, column 14: unknown region 'R9' "
             "(BAD_REQUEST); nothing was changed; read as CSV separated "
             "by semicolons (;), a UTF-8 byte-order mark skipped"),
        ]
        for name, text, rc, want in cases:
            r = d.ctl("import", write(d, name, text))
            check_eq(r.rc, rc, f"{name} refused: {r}")
            check(want in r.err, f"{name}: want '{want}' in {r.err!r}")
        check("read as CSV separated by commas (,)" in d.ctl(
            "import", os.path.join(d.tmp, "fields.csv")).err,
            "a field count error says how the file was read")
        check_eq(export(d), before, "nothing changed")
        d.stop()
    finally:
        d.cleanup()


if __name__ == "__main__":
    main([test_the_fixtures_are_what_they_claim,
          test_spreadsheet_files_import_unchanged,
          test_bom_id_column_and_quotes,
          test_errors_name_line_and_column])
