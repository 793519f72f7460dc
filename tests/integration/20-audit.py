"""The tamper-evident audit log (docs/audit.md) on the real daemon: who did
what, chained and signed; an entry changed, deleted or moved with
mdb_dump/mdb_load (lmdb-utils, which share no code with shelterd) is found
and named by `shelterctl audit verify`, and by the daemon when it starts;
a backup verifies on its own; an export verifies with the daemon's public
key alone, and not once a byte of it changed. Entries are read with
protoc, and the re-signing attacker computes BLAKE2b with Python's
hashlib."""
import hashlib
import json
import os
import subprocess

from harness import (BIN, PROTO, PROTO_DIR, TEST_REGISTRY, Daemon, check,
                     check_eq, main)

CASE_REF = "R1-2026-0501"


def setup():
    d = Daemon()
    sec = os.path.join(d.tmp, "sec")
    p = subprocess.run([os.environ["KEYGEN"], "--registry", TEST_REGISTRY,
                        "--out", sec], capture_output=True, text=True,
                       timeout=30)
    check_eq(p.returncode, 0, f"keygen {p.stderr}")
    d.registry = os.path.join(sec, "registry")
    d.config = ("[security]\nallow_unsigned = 1\ndaemon_key = %s\n"
                % os.path.join(sec, "keys", "daemon.key"))
    d.sec = sec
    d.pub = os.path.join(sec, "daemon.pub")
    return d


def scenario(d):
    """Six entries: the registry, a placement's four steps (requested and
    held by the signed region, declined and unplaced by the unsigned
    shelter's answer), an alert acknowledged."""
    for sid, beds in (("S1", "women=10/0"), ("S3", "women=5/0")):
        check_eq(d.report("-s", sid, "-b", beds).rc, 0, f"report {sid}")
    env = dict(d.env, SHELTERD_KEY=os.path.join(d.sec, "keys",
                                                "region-R1.key"))
    p = subprocess.run([BIN["REGION_PLACE"], "request", "-r", "R1", "-c",
                        "women", "-C", CASE_REF, "-i", "q1", "--no-wait"],
                       env=env, capture_output=True, text=True, timeout=20)
    check_eq(p.returncode, 0, f"signed request {p.stderr}")
    check_eq(d.report("decline", "q1", "--shelter", "S3", "--reason",
                      "no-bed").rc, 0, "decline")
    check_eq(d.report("-s", "S3", "-b", "women=5/5").rc, 0, "R2 full")
    alerts = [a for a in d.ctl("--json", "alerts").json()
              if a["region"] == "R2"]
    check(alerts, "an alert for R2")
    r = d.ctl("ack", str(alerts[0]["opened_seq"]), "--by", "desk")
    check_eq(r.rc, 0, f"ack {r}")


def audit(*args):
    return subprocess.run([BIN["SHELTERCTL"], "audit", *args],
                          capture_output=True, text=True, timeout=30)


def entries_of(path, message="shelterd.v1.AuditExport"):
    with open(path, "rb") as f:
        data = f.read()
    p = subprocess.run(["protoc", f"--decode={message}",
                        f"--proto_path={PROTO_DIR}", PROTO], input=data,
                       capture_output=True, timeout=20)
    check_eq(p.returncode, 0, f"protoc {p.stderr}")
    return data, p.stdout.decode()


# ---- dump, edit, load -------------------------------------------------------

def dump(data_dir):
    """mdb_dump -a: [(header lines, [(key hex, value hex)])] per db."""
    p = subprocess.run(["mdb_dump", "-a", data_dir], capture_output=True,
                       text=True, timeout=20)
    check_eq(p.returncode, 0, f"mdb_dump {p.stderr}")
    dbs, lines = [], p.stdout.splitlines()
    i = 0
    while i < len(lines):
        head = []
        while lines[i] != "HEADER=END":
            head.append(lines[i])
            i += 1
        head.append(lines[i])
        i += 1
        pairs = []
        while lines[i] != "DATA=END":
            pairs.append([lines[i].strip(), lines[i + 1].strip()])
            i += 2
        i += 1
        dbs.append((head, pairs))
    return dbs


def load(dbs, data_dir):
    text = ""
    for head, pairs in dbs:
        text += "\n".join(head) + "\n"
        for k, v in pairs:
            text += f" {k}\n {v}\n"
        text += "DATA=END\n"
    os.makedirs(data_dir)
    p = subprocess.run(["mdb_load", "-f", "/dev/stdin", data_dir],
                       input=text, capture_output=True, text=True,
                       timeout=20)
    check_eq(p.returncode, 0, f"mdb_load {p.stderr}")


def db(dbs, name):
    return [pairs for head, pairs in dbs if f"database={name}" in head][0]


def encode(text, message):
    p = subprocess.run(["protoc", f"--encode={message}",
                        f"--proto_path={PROTO_DIR}", PROTO],
                       input=text.encode(), capture_output=True, timeout=20)
    check_eq(p.returncode, 0, f"protoc --encode {p.stderr}")
    return p.stdout


def decode(data, message):
    p = subprocess.run(["protoc", f"--decode={message}",
                        f"--proto_path={PROTO_DIR}", PROTO], input=data,
                       capture_output=True, timeout=20)
    check_eq(p.returncode, 0, f"protoc --decode {p.stderr}")
    return p.stdout.decode()


def rewrite(value_hex, old, new):
    """Re-encode an entry with one field's text changed: what someone with
    the files and protoc would do."""
    text = decode(bytes.fromhex(value_hex), "shelterd.v1.AuditEntry")
    check(old in text, f"{old!r} in {text}")
    return encode(text.replace(old, new), "shelterd.v1.AuditEntry").hex()


def broken(d, data_dir, seq, words):
    r = audit("verify", "--backup", data_dir, "--pubkey", d.pub)
    check_eq(r.returncode, 1, f"tampering found {r.stdout}{r.stderr}")
    check(f"BROKEN at entry {seq}:" in r.stdout and words in r.stdout,
          f"entry {seq} named ({words!r}): {r.stdout}")


def test_audit_log():
    d = setup()
    try:
        d.start()
        scenario(d)
        backup = os.path.join(d.tmp, "backup")
        r = d.ctl("backup", backup)
        check_eq(r.rc, 0, f"backup {r}")
        export = os.path.join(d.tmp, "export.bin")
        r = d.ctl("audit", "export", "--from", "2", "--to", "4", "--out",
                  export)
        check_eq(r.rc, 0, f"export {r}")
        d.stop()

        # What was recorded, read with protoc from the export.
        data, text = entries_of(export)
        check_eq(text.count("entries:"), 3, "entries 2 to 4")
        check(CASE_REF.encode() not in data, "no case_ref in an export")
        r = audit("verify", "--data-dir", d.data, "--pubkey", d.pub,
                  "--print")
        check_eq(r.returncode, 0, f"the store verifies {r.stdout}")
        check("6 entries, chain intact, head signed by the given key"
              in r.stdout, r.stdout)
        lines = r.stdout.splitlines()
        for seq, words in ((1, ["registry_change", "daemon",
                                "registry first seen"]),
                           (2, ["placement", "region:R1", "requested",
                                "request q1"]),
                           (3, ["region:R1", "held", "shelter S3"]),
                           (4, ["unsigned/loopback", "declined: no-bed"]),
                           (5, ["unplaced"]),
                           (6, ["alert_ack", "unsigned/loopback",
                                "acknowledged", "region R2"])):
            line = [x for x in lines if x.split()[0] == str(seq)][0]
            for w in words:
                check(w in line, f"entry {seq}: {w!r} in {line!r}")
        # The signed region's key id: 8 bytes of BLAKE2b of its key.
        with open(os.path.join(d.sec, "registry", "keys.csv")) as f:
            pk = [l.split(",")[1].strip() for l in f
                  if l.startswith("region:R1,")][0]
        kid = hashlib.blake2b(bytes.fromhex(pk), digest_size=8).hexdigest()
        check(f"key {kid}" in [x for x in lines if x.startswith("     2")][0],
              f"key id {kid}: {lines[1]}")
        dbs = dump(d.data)
        for k, v in db(dbs, "audit"):
            check(CASE_REF.encode().hex() not in v, "no case_ref stored")
        check("case_ref_hash" in decode(bytes.fromhex(db(dbs, "audit")[1][1]),
                                        "shelterd.v1.AuditEntry"),
              "a keyed hash of it instead")

        # An inspector: the export and the daemon's public key alone.
        r = audit("verify", export, "--pubkey", d.pub)
        check_eq(r.returncode, 0, f"export verifies {r.stdout}{r.stderr}")
        check("3 entries, chain intact" in r.stdout, r.stdout)
        other = hashlib.sha256(b"not the daemon").hexdigest()
        r = audit("verify", export, "--pubkey", other)
        check_eq(r.returncode, 1, "another key")
        check("signature" in r.stdout, r.stdout)
        bad = data.replace(b"no-bed", b"no-bet")
        check(bad != data, "a byte to change")
        with open(export + ".bad", "wb") as f:
            f.write(bad)
        r = audit("verify", export + ".bad", "--pubkey", d.pub)
        check_eq(r.returncode, 1, f"changed export {r.stdout}")
        check("BROKEN at entry 4" in r.stdout, r.stdout)

        # A backup verifies on its own.
        r = audit("verify", "--backup", backup, "--pubkey", d.pub)
        check_eq(r.returncode, 0, f"backup verifies {r.stdout}{r.stderr}")

        # Tampering, each on a copy loaded with mdb_load.
        audit_db = db(dbs, "audit")
        check_eq(len(audit_db), 6, "six entries dumped")
        saved = [list(x) for x in audit_db]

        # 1. The decline's reason rewritten (the reproduction).
        audit_db[3][1] = rewrite(audit_db[3][1], "declined: no-bed",
                                 "declined: safety-conflict")
        load(dbs, os.path.join(d.tmp, "changed"))
        broken(d, os.path.join(d.tmp, "changed"), 4, "was changed")
        # ... and the daemon says so when it starts on it.
        d2 = Daemon(registry=d.registry, config=d.config)
        os.rmdir(d2.data) if os.path.isdir(d2.data) else None
        os.rename(os.path.join(d.tmp, "changed"), d2.data)
        d2.start()
        check("audit log: entry 4 was changed" in d2.read_log(),
              d2.read_log())
        d2.stop()
        d2.cleanup()

        # 2. One deleted.
        audit_db[:] = [list(x) for x in saved]
        del audit_db[2]
        load(dbs, os.path.join(d.tmp, "deleted"))
        broken(d, os.path.join(d.tmp, "deleted"), 3, "is missing")

        # 3. Two swapped: each value under the other's key.
        audit_db[:] = [list(x) for x in saved]
        audit_db[2][1], audit_db[3][1] = audit_db[3][1], audit_db[2][1]
        load(dbs, os.path.join(d.tmp, "reordered"))
        broken(d, os.path.join(d.tmp, "reordered"), 3, "holds entry 4")

        # 4. The last one deleted: the signed head still covers it.
        audit_db[:] = [list(x) for x in saved]
        del audit_db[5]
        load(dbs, os.path.join(d.tmp, "truncated"))
        broken(d, os.path.join(d.tmp, "truncated"), 6, "is missing")

        # 5. Changed, then every later link and the head's hash redone
        # (BLAKE2b-256, as libsodium): only the signature is left, and
        # without the daemon's key it does not match.
        audit_db[:] = [list(x) for x in saved]
        audit_db[3][1] = rewrite(audit_db[3][1], "declined: no-bed",
                                 "declined: other")
        prev = hashlib.blake2b(bytes.fromhex(audit_db[3][1]),
                               digest_size=32).digest()
        for i in (4, 5):
            text = decode(bytes.fromhex(audit_db[i][1]),
                          "shelterd.v1.AuditEntry")
            old = [l for l in text.splitlines() if l.startswith("prev:")][0]
            esc = "".join(f"\\{b:03o}" for b in prev)
            audit_db[i][1] = encode(text.replace(old, f'prev: "{esc}"'),
                                    "shelterd.v1.AuditEntry").hex()
            prev = hashlib.blake2b(bytes.fromhex(audit_db[i][1]),
                                   digest_size=32).digest()
        meta = db(dbs, "meta")
        key = b"audit_head".hex()
        row = [x for x in meta if x[0] == key][0]
        text = decode(bytes.fromhex(row[1]), "shelterd.v1.AuditHead")
        old = [l for l in text.splitlines() if l.startswith("hash:")][0]
        esc = "".join(f"\\{b:03o}" for b in prev)
        row[1] = encode(text.replace(old, f'hash: "{esc}"'),
                        "shelterd.v1.AuditHead").hex()
        load(dbs, os.path.join(d.tmp, "rechained"))
        broken(d, os.path.join(d.tmp, "rechained"), 6,
               "signature (entry 6) is not the daemon's")
    finally:
        d.cleanup()


if __name__ == "__main__":
    main([test_audit_log])
