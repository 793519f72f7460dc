"""`shelterctl backup DIR` while shelters keep reporting: the copy opens
with mdb_stat, and a daemon started on it holds every update that was
acknowledged before the backup was asked for."""
import os
import shutil
import subprocess
import threading
import time

from harness import TESTS_DIR, Daemon, check, check_eq, main

DEMO = os.path.join(TESTS_DIR, "..", "..", "registry", "demo",
                    "shelters.csv")


def demo_shelters(n):
    out = []
    with open(DEMO) as f:
        next(f)
        for line in f:
            cols = line.rstrip("\n").split(",")
            out.append((cols[0], [(b.split(":")[0], int(b.split(":")[1]))
                                  for b in cols[-1].split()]))
    return out[:n]


class Load:
    """Threads that report with increasing seqs and note each ack with
    the time it came back."""

    def __init__(self, d, shelters, threads=4):
        self.d, self.stop_flag, self.acks = d, False, []
        self.lock = threading.Lock()
        self.errors = []
        parts = [shelters[i::threads] for i in range(threads)]
        self.threads = [threading.Thread(target=self.run, args=(p,))
                        for p in parts]

    def run(self, shelters):
        seq = 1
        while not self.stop_flag:
            for sid, beds in shelters:
                args = ["-q", "-N", "--shelter", sid, "--seq", str(seq)]
                for cat, cap in beds:
                    args += ["-b", f"{cat}={cap}/{seq % (cap + 1)}"]
                r = self.d.report(*args)
                if r.rc != 0:
                    self.errors.append(f"{sid} seq {seq}: {r}")
                    return
                with self.lock:
                    self.acks.append((time.monotonic(), sid, seq))
            seq += 1

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop_flag = True
        for t in self.threads:
            t.join(timeout=60)

    def acked_before(self, when):
        """{shelter: highest seq acked before `when`}"""
        out = {}
        with self.lock:
            for at, sid, seq in self.acks:
                if at < when:
                    out[sid] = max(out.get(sid, 0), seq)
        return out


def test_backup_under_load_holds_every_acked_update():
    d = Daemon()
    restored = Daemon()
    try:
        d.start()
        bdir = os.path.join(d.tmp, "backups", "one")
        with Load(d, demo_shelters(24)) as load:
            # Under load, and with every shelter acked at least once.
            deadline = time.monotonic() + 60
            while (len(load.acked_before(time.monotonic())) < 24 and
                   time.monotonic() < deadline and not load.errors):
                time.sleep(0.05)
            time.sleep(0.3)
            asked = time.monotonic()
            r = d.ctl("--json", "backup", bdir)
            check_eq(r.rc, 0, f"backup {r}")
            info = r.json()
            time.sleep(0.5)  # the load goes on after the copy
        check_eq(load.errors, [], "every report acked")
        before = load.acked_before(asked)
        check(len(before) == 24, f"load reached every shelter: {before}")
        check_eq(info["dir"], bdir, "where")
        check(info["bytes"] > 0, info)
        check(info["bytes"] == os.path.getsize(os.path.join(bdir,
                                                           "data.mdb")),
              "size of data.mdb")

        p = subprocess.run(["mdb_stat", "-a", bdir], capture_output=True,
                           text=True, timeout=20)
        check_eq(p.returncode, 0, f"mdb_stat: {p.stderr}")
        for db in ("shelters", "regions", "events", "meta", "alerts"):
            check(f"Status of {db}" in p.stdout, f"{db} in {p.stdout}")

        # A restore: a daemon on a copy of the backup.
        shutil.copytree(bdir, restored.data)
        restored.start()
        for sid, seq in sorted(before.items()):
            got = restored.ctl("--json", "shelter", sid)
            check_eq(got.rc, 0, f"shelter {sid} {got}")
            check(got.json()["last_seq"] >= seq,
                  f"{sid}: acked seq {seq} before the backup, the copy "
                  f"has {got.json()['last_seq']}")
        st = restored.status()
        check_eq(st["last_event_seq"], info["last_event_seq"],
                 "the copy's event log ends where the reply says")
        check(d.status()["last_event_seq"] >= info["last_event_seq"],
              "and the live daemon is at or past it")
        restored.stop()

        # A directory that holds a store already is refused.
        r = d.ctl("backup", bdir)
        check_eq(r.rc, 1, f"backup over a backup {r}")
        check("already holds a store" in r.err, r.err)
        d.stop()
        check("backup: " + bdir in d.read_log(), "logged")
    finally:
        d.cleanup()
        restored.cleanup()


if __name__ == "__main__":
    main([test_backup_under_load_holds_every_acked_update])
