"""keygen: key files named without ':', and one party's key replaced with
--party (its keys.csv line only) so that the daemon, after a restart,
takes the new key and refuses the old one."""
import os
import re
import shutil
import subprocess
import tempfile

from harness import Daemon, TEST_REGISTRY, check, check_eq, main

KEYGEN = os.environ["KEYGEN"]


def keygen(*args):
    return subprocess.run([KEYGEN, *args], capture_output=True, text=True,
                          timeout=30)


def csv_lines(path):
    with open(path) as f:
        return f.read().splitlines()


def read_lines(path):
    """Lines as they are, "\r" kept."""
    with open(path, encoding="utf-8", newline="") as f:
        return f.read().split("\n")


def signed_report(d, key, beds):
    return d.report("--key", key, "-s", "S1", "-b", beds, "-N")


def test_party_key_replaces_one_line_only():
    t = tempfile.mkdtemp(prefix="shelterd-keygen-")
    d = None
    try:
        p = keygen("--registry", TEST_REGISTRY, "--out", t)
        check_eq(p.returncode, 0, f"keygen: {p.stderr}")
        names = sorted(os.listdir(os.path.join(t, "keys")))
        check(all(":" not in n for n in names), f"':' in {names}")
        check({"national.key", "operator.key", "shelter-S1.key"} <=
              set(names), f"{names}")
        check(any(n.startswith("region-") for n in names), f"{names}")
        for n in names:
            mode = os.stat(os.path.join(t, "keys", n)).st_mode & 0o777
            check_eq(mode, 0o600, f"mode of {n}")
        reg = os.path.join(t, "registry")
        before = csv_lines(os.path.join(reg, "keys.csv"))
        old_key = os.path.join(t, "keys", "shelter-S1.key")

        d = Daemon(registry=reg, config="[security]\nallow_unsigned = 0\n")
        # The harness's start check (shelterctl regions) signs as operator.
        d.env["SHELTERD_KEY"] = os.path.join(t, "keys", "operator.key")
        d.start()
        r = signed_report(d, old_key, "women=10/1")
        check_eq(r.rc, 0, f"signed with the first key: {r}")
        d.stop()

        new = os.path.join(t, "new")
        p = keygen("--party", "shelter:S1", "--out", new, "--registry", reg)
        check_eq(p.returncode, 0, f"keygen --party: {p.stderr}")
        new_key = os.path.join(new, "keys", "shelter-S1.key")
        check(os.path.exists(new_key), f"{new_key}: {p.stdout}")
        check_eq(os.stat(new_key).st_mode & 0o777, 0o600, "mode")
        after = csv_lines(os.path.join(reg, "keys.csv"))
        check_eq(len(after), len(before), "same number of keys")
        changed = [l for l in after if l not in before]
        check_eq([l.split(",")[0] for l in changed], ["shelter:S1"],
                 "only the party's line changed")
        check_eq([l for l in before if l not in after and
                  not l.startswith("shelter:S1,")], [], "others kept")

        # Never over an existing key file; keys.csv then unchanged.
        p = keygen("--party", "shelter:S1", "--out", new, "--registry", reg)
        check(p.returncode == 1 and "remove it first" in p.stderr, f"{p}")
        check_eq(csv_lines(os.path.join(reg, "keys.csv")), after,
                 "keys.csv after a refused run")

        d.proc = None
        d.start()
        r = signed_report(d, old_key, "women=10/2")
        check(r.rc != 0, f"the replaced key still works: {r}")
        r = signed_report(d, new_key, "women=10/3")
        check_eq(r.rc, 0, f"signed with the new key: {r}")
        d.stop()
    finally:
        if d is not None:
            d.cleanup()
        shutil.rmtree(t, ignore_errors=True)


def test_party_mistakes_and_printing():
    t = tempfile.mkdtemp(prefix="shelterd-keygen-")
    try:
        p = keygen("--party", "shelter:NOPE", "--out", t, "--registry",
                   TEST_REGISTRY)
        check(p.returncode == 1 and "not in the registry" in p.stderr,
              f"{p}")
        for bad in ("shelter:../x", "shelter:", "root", "region:a/b"):
            p = keygen("--party", bad, "--out", t)
            check(p.returncode == 2 and "is not a party" in p.stderr,
                  f"{bad}: {p}")
        p = keygen("--party", "national", "--out", t)
        check_eq(p.returncode, 0, f"{p}")
        check(re.fullmatch(r"national,[0-9a-f]{64}\n", p.stdout),
              f"keys.csv line printed: {p.stdout!r}")
        check(os.path.exists(os.path.join(t, "keys", "national.key")),
              "key file")
    finally:
        shutil.rmtree(t, ignore_errors=True)


def test_party_key_in_a_spreadsheet_keys_csv():
    """A keys.csv saved by a spreadsheet (byte-order mark, ';', a comment)
    keeps its form: only the party's record is replaced, and the daemon
    reads it."""
    t = tempfile.mkdtemp(prefix="shelterd-keygen-")
    d = None
    try:
        check_eq(keygen("--registry", TEST_REGISTRY, "--out", t).returncode,
                 0, "keygen")
        reg = os.path.join(t, "registry")
        path = os.path.join(reg, "keys.csv")
        lines = csv_lines(path)
        with open(path, "w", encoding="utf-8") as f:
            f.write("\ufeff" + lines[0].replace(",", ";") + "\r\n"
                    "# saved by a spreadsheet\r\n" + "".join(
                        l.replace(",", ";") + "\r\n" for l in lines[1:]))
        before = read_lines(path)
        new = os.path.join(t, "new")
        p = keygen("--party", "shelter:S1", "--out", new, "--registry", reg)
        check_eq(p.returncode, 0, f"keygen --party: {p.stderr}")
        after = read_lines(path)
        check(after[0].startswith("\ufeffidentity;public_key_hex"),
              f"the byte-order mark and ';' header stay: {after[0]!r}")
        check_eq(after[1], "# saved by a spreadsheet\r", "the comment stays")
        check_eq(len(after), len(before), "same number of lines")
        changed = [l for l in after if l not in before]
        check(len(changed) == 1 and re.fullmatch(
            r"shelter:S1;[0-9a-f]{64}", changed[0]),
            f"the party's record, with ';': {changed}")
        d = Daemon(registry=reg, config="[security]\nallow_unsigned = 0\n")
        d.env["SHELTERD_KEY"] = os.path.join(t, "keys", "operator.key")
        d.start()
        r = signed_report(d, os.path.join(new, "keys", "shelter-S1.key"),
                          "women=10/3")
        check_eq(r.rc, 0, f"signed with the new key: {r}")
        d.stop()
    finally:
        if d is not None:
            d.cleanup()
        shutil.rmtree(t, ignore_errors=True)


if __name__ == "__main__":
    main([test_party_key_replaces_one_line_only,
          test_party_mistakes_and_printing,
          test_party_key_in_a_spreadsheet_keys_csv])
