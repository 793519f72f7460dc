"""Failover the standard way (docs/ha.md): one data directory, one daemon
at a time, clients that know every address it may come up at.

Daemon A runs on data dir D at address 1. Shelters report through the
real shelter-report (--api addr1,addr2), some directly, some through a
real shelter-node (--upstream addr1,addr2), and a coord-watch follows the
events of both addresses. A is SIGKILLed under that load; daemon B starts
on the SAME data dir at address 2 (what Pacemaker does when the
filesystem moves). Checked:
- every report A acknowledged (the reporters' own "seq N: stored"
  lines) is in B's store, before any client has reached B;
- the reporters and the node carry on against B, and say which address
  answered and which failed;
- at the end every report sent (directly or through the node) is in B's
  store as the last one of its shelter, and coord-watch saw B's events.

Addresses are ipc:// paths in a fresh temp dir: never a fixed port."""
import csv
import io
import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time

from harness import (BIN, Daemon, Failure, check, check_eq, free_ports,
                     main, make_secrets)

NODE = os.environ["SHELTER_NODE"]
DIRECT = [f"D-{i}" for i in range(1, 7)]    # report to the daemon
VIA_NODE = [f"N-{i}" for i in range(1, 5)]  # report to the VR01 node


def registry(tmp):
    path = os.path.join(tmp, "registry")
    os.makedirs(path)
    with open(os.path.join(path, "regions.csv"), "w") as f:
        f.write("code,name,province,seat,lat,lon,neighbours\n"
                "VR01,Region One,P,S1,52.0,5.0,VR02\n"
                "VR02,Region Two,P,S2,52.1,5.1,VR01\n")
    with open(os.path.join(path, "shelters.csv"), "w") as f:
        f.write("id,name,region,security_level,beds\n")
        for sid in VIA_NODE:
            f.write(f"{sid},Shelter {sid},VR01,1,women:4\n")
        for sid in DIRECT:
            f.write(f"{sid},Shelter {sid},VR02,1,women:4\n")
    return path


def daemon_at(tmp, reg, name):
    """A shelterd on tmp/data (shared) at ipc://tmp/NAME-*.sock."""
    d = Daemon(registry=reg, tmp=tmp)
    d.api = f"ipc://{tmp}/{name}-api.sock"
    d.events = f"ipc://{tmp}/{name}-events.sock"
    d.log_path = os.path.join(tmp, f"shelterd-{name}.log")
    d.env = dict(d.env, SHELTERD_API=d.api, SHELTERD_EVENTS=d.events)
    return d


class Reporter(threading.Thread):
    """One shelter reporting in a loop with the real shelter-report; keeps
    what it sent and what was acknowledged (from its own output)."""

    ACK = re.compile(r"^(\S+) seq (\d+): (stored|already stored)")

    def __init__(self, sid, env):
        super().__init__(daemon=True)
        self.sid, self.env = sid, env
        self.sent = {}       # seq -> occupied
        self.acked = set()   # seqs
        self.err = []
        self.failure = None
        self.stop = threading.Event()
        self.pause = threading.Event()
        self.idle = threading.Event()

    def run(self):
        seq = 0
        while not self.stop.is_set():
            if self.pause.is_set():
                self.idle.set()
                time.sleep(0.02)
                continue
            self.idle.clear()
            seq += 1
            occ = seq % 5
            self.sent[seq] = occ
            p = subprocess.run(
                [BIN["SHELTER_REPORT"], "-s", self.sid, "-n", str(seq),
                 "-b", f"women=4/{occ}", "-T", "3000"],
                env=self.env, capture_output=True, text=True, timeout=60)
            self.take(p)
            if p.returncode not in (0, 4):  # 4: queued in the outbox
                self.failure = (f"{self.sid}: shelter-report exit "
                                f"{p.returncode}: {p.stderr}")
                break
            time.sleep(0.01)
        self.idle.set()

    def take(self, p):
        for line in p.stdout.splitlines():
            m = self.ACK.match(line)
            if m and m.group(1) == self.sid:
                self.acked.add(int(m.group(2)))
        self.err += p.stderr.splitlines()

    def flush(self):
        p = subprocess.run([BIN["SHELTER_REPORT"], "flush"], env=self.env,
                           capture_output=True, text=True, timeout=60)
        self.take(p)
        check_eq(p.returncode, 0, f"{self.sid}: flush {p.stderr}")


def failed(reps):
    for r in reps:
        check(r.failure is None, r.failure)
        check(r.is_alive(), f"{r.sid}: the reporter stopped")


def export(d):
    """shelter id -> (last_seq, women_occupied) from B's own export."""
    r = d.ctl("export", "--csv")
    check_eq(r.rc, 0, f"shelterctl export {r}")
    rows = csv.DictReader(io.StringIO(r.out))
    return {row["id"]: (int(row["last_seq"] or 0),
                        row["women_occupied"]) for row in rows}


def test_failover():
    tmp = tempfile.mkdtemp(prefix="shelterd-failover-")
    reg = registry(tmp)
    a = daemon_at(tmp, reg, "a")
    b = daemon_at(tmp, reg, "b")
    apis = f"{a.api},{b.api}"
    evs = f"{a.events},{b.events}"
    node_api = f"ipc://{tmp}/node-api.sock"
    node_log = os.path.join(tmp, "node.log")
    node = watch = None
    reps = []
    try:
        a.start()
        node = subprocess.Popen(
            [NODE, "--region", "VR01", "--registry", reg,
             "--data-dir", os.path.join(tmp, "node-data"),
             "--api", node_api, "--events", f"ipc://{tmp}/node-ev.sock",
             "--upstream", apis, "--upstream-events", evs,
             "--retry-ms", "100", "--poll-ms", "200",
             "--timeout-ms", "3000"],
            stdout=open(node_log, "ab"), stderr=subprocess.STDOUT)
        watch = subprocess.Popen(
            [BIN["COORD_WATCH"], "--json", "--api", apis, "--events", evs],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for sid in DIRECT:
            reps.append(Reporter(sid, dict(
                a.env, SHELTERD_API=apis,
                SHELTERD_OUTBOX=os.path.join(tmp, f"outbox-{sid}"))))
        for sid in VIA_NODE:
            reps.append(Reporter(sid, dict(
                a.env, SHELTERD_API=node_api,
                SHELTERD_OUTBOX=os.path.join(tmp, f"outbox-{sid}"))))
        for r in reps:
            r.start()
        # Under load: every reporter has been acknowledged a few times.
        deadline = time.monotonic() + 30
        while min(len(r.acked) for r in reps) < 3:
            check(time.monotonic() < deadline, "reports are not acked")
            failed(reps)
            time.sleep(0.05)
        a.proc.send_signal(signal.SIGKILL)
        a.proc.wait()
        time.sleep(0.5)  # the reporters meet a dead address 1

        # Hold the reporters so that B's store is read before anyone can
        # write to it: what it has then is what A made durable.
        for r in reps:
            r.pause.set()
        for r in reps:
            check(r.idle.wait(30), f"{r.sid} does not pause")
        acked_before = {r.sid: set(r.acked) for r in reps}
        b.start()
        got = export(b)
        b_first = json.loads(b.ctl("--json", "ping").out)["last_event_seq"]
        for r in reps:
            if r.sid not in DIRECT:
                continue  # the node's acks are the node's (below)
            last = max(acked_before[r.sid])
            seq, occ = got[r.sid]
            check(seq >= last, f"{r.sid}: A acknowledged seq {last}, B "
                  f"has {seq}: an acknowledged report was lost")
            if seq == last:
                check_eq(occ, str(r.sent[last]), f"{r.sid} occupied")

        # Carry on against B.
        marks = {r.sid: len(r.acked) for r in reps}
        for r in reps:
            r.pause.clear()
        deadline = time.monotonic() + 30
        while min(len(r.acked) - marks[r.sid] for r in reps) < 3:
            failed(reps)
            check(time.monotonic() < deadline,
                  "the clients do not carry on against B: " +
                  "; ".join(f"{r.sid}: {r.err[-2:]}" for r in reps))
            time.sleep(0.05)
        for r in reps:
            r.stop.set()
        for r in reps:
            r.join(60)
            check(not r.is_alive(), f"{r.sid} does not stop")
        for r in reps:
            r.flush()

        # The node forwards everything it acknowledged, to B.
        deadline = time.monotonic() + 30
        while True:
            st = subprocess.run(
                [NODE, "--status", "--data-dir",
                 os.path.join(tmp, "node-data")],
                capture_output=True, text=True, timeout=20)
            if st.returncode == 0:
                break
            check(time.monotonic() < deadline,
                  f"the node still has reports waiting: {st.stdout}")
            time.sleep(0.2)

        got = export(b)
        for r in reps:
            last = max(r.sent)
            check(last in r.acked, f"{r.sid}: seq {last} never acked")
            check_eq(got[r.sid], (last, str(r.sent[last])),
                     f"{r.sid}: B's last report")
            missing = set(r.sent) - r.acked
            check(not missing, f"{r.sid}: never acknowledged {missing}")

        # Which address answered and which failed, in the clients' words.
        direct_err = "\n".join(e for r in reps if r.sid in DIRECT
                               for e in r.err)
        check(f"shelterd at {b.api} answered; failed: {a.api}: Connection "
              f"refused" in direct_err,
              f"no failover note from shelter-report:\n{direct_err[-2000:]}")
        with open(node_log) as f:
            log = f.read()
        check(f"upstream: shelterd at {b.api} answered" in log,
              f"no failover note in the node's log:\n{log[-2000:]}")

        # The watcher hears B: events B published (at least the warning
        # and the clear of one shelter filled and emptied now), none twice.
        for seq, occ in ((10**6, 4), (10**6 + 1, 0)):
            r = b.report("-s", DIRECT[0], "-n", str(seq), "-b",
                         f"women=4/{occ}")
            check_eq(r.rc, 0, f"report to B {r}")
        # A shelter's events come by coord-watch's catch-up from the log
        # (need-to-know: not on the events socket), which asks B within
        # a quiet second or two: on a loaded machine, allow 15 s.
        seqs, text = [], ""
        deadline = time.monotonic() + 15
        os.set_blocking(watch.stdout.fileno(), False)
        while time.monotonic() < deadline and watch.poll() is None:
            try:
                text += os.read(watch.stdout.fileno(), 65536).decode()
            except BlockingIOError:
                pass
            seqs = [json.loads(l).get("event_seq", 0)
                    for l in text.split("\n")[:-1] if l.startswith("{")]
            if seqs and max(seqs) > b_first:
                break
            time.sleep(0.2)
        exited = watch.poll()
        watch.send_signal(signal.SIGTERM)
        out, err = watch.communicate(timeout=20)
        lines = (text + (out or "")).splitlines()
        seqs = [json.loads(l).get("event_seq", 0)
                for l in lines if l.startswith("{")]
        check(seqs and max(seqs) > b_first and len(seqs) == len(set(seqs)),
              f"coord-watch did not follow B (events after #{b_first}, "
              f"exited before the end: {exited}): {seqs[-5:]}; "
              f"{err[-1500:]}")
        b.stop()
        node.send_signal(signal.SIGTERM)
        check_eq(node.wait(20), 0, "shelter-node exit status")
    finally:
        for r in reps:
            r.stop.set()
        for p in (node, watch):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()
        a.cleanup()
        b.cleanup()


class SilentAddress:
    """A loopback address that neither accepts nor refuses, like a
    machine that is off: a listener with a full backlog that never
    accepts, so the kernel drops every further SYN."""

    def __init__(self):
        self.l = socket.socket()
        self.l.bind(("127.0.0.1", 0))
        self.l.listen(0)
        self.url = f"tcp://127.0.0.1:{self.l.getsockname()[1]}"
        self.fill = []
        for _ in range(4):
            c = socket.socket()
            c.setblocking(False)
            try:
                c.connect(self.l.getsockname())
            except BlockingIOError:
                pass
            self.fill.append(c)
        time.sleep(0.2)

    def close(self):
        for c in self.fill:
            c.close()
        self.l.close()


def test_silent_address_costs_the_timeout_not_minutes():
    d = Daemon().start()
    silent = SilentAddress()
    try:
        start = time.monotonic()
        r = d.report("--api", f"{silent.url},{d.api}", "-T", "1500",
                     "-s", "SH-UT-003", "-b", "women=4/3")
        took = time.monotonic() - start
        check_eq(r.rc, 0, f"report through the second address {r}")
        check(f"shelterd at {d.api} answered; failed: {silent.url}: no "
              f"connection within 1500 ms" in r.err, r.err)
        check(took < 10, f"took {took:.1f} s")

        # The events socket too: every address is dialled at once, and
        # the silent one does not hold up the live one.
        w = subprocess.Popen(
            [BIN["COORD_WATCH"], "--json", "--count", "1", "--wait", "30",
             "--events", f"{silent.url},{d.events}", "--api", d.api],
            env=d.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
        line = w.stderr.readline()
        check(f"connected to {d.events}; no connection to {silent.url} "
              f"yet" in line, line)
        check("watching" in w.stderr.readline(), "coord-watch watches")
        time.sleep(0.3)
        check_eq(d.report("-s", "SH-UT-003", "-b", "women=4/4").rc, 0,
                 "report")
        out, err = w.communicate(timeout=40)
        check_eq(w.returncode, 0, f"coord-watch {err}")
        check('"SH-UT-003"' in out, out)
        d.stop()
    finally:
        silent.close()
        d.cleanup()


def test_tls_failure_moves_on():
    """A daemon whose certificate the client cannot verify, or that
    refuses the client's certificate, counts as failed: the next address
    answers, and the note says why the first did not."""
    d = Daemon().start()
    sec = make_secrets(d)
    api, events = free_ports(2)
    tls = f"tls+tcp://localhost:{api}"
    log = open(os.path.join(d.tmp, "tls.log"), "ab")
    a = subprocess.Popen(
        [BIN["SHELTERD"], "-c", f"{sec}/shelterd.conf", "--data-dir",
         os.path.join(d.tmp, "tls-data"), "--api", tls, "--events",
         f"tls+tcp://localhost:{events}", "--http", ""],
        stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10
        while True:  # listening: a TCP connect is accepted
            try:
                socket.create_connection(("127.0.0.1", api), 1).close()
                break
            except OSError:
                check(time.monotonic() < deadline and a.poll() is None,
                      "the TLS daemon does not listen")
                time.sleep(0.05)
        pki = f"{sec}/pki"
        for ca, cert in ((f"{pki}/rogue-ca.pem", f"{pki}/client.pem"),
                         (f"{pki}/ca.pem", f"{pki}/rogue-client.pem")):
            p = subprocess.run(
                [BIN["SHELTERCTL"], "--api", f"{tls},{d.api}", "-T",
                 "3000", "ping"],
                env=dict(d.env, SHELTERD_TLS_CA=ca, SHELTERD_TLS_CERT=cert),
                capture_output=True, text=True, timeout=20)
            check_eq(p.returncode, 0, f"ping with {ca} {cert}: {p.stderr}")
            check(f"shelterd at {d.api} answered; failed: {tls}: " in
                  p.stderr, p.stderr)
        d.stop()
    finally:
        a.terminate()
        a.wait(15)
        log.close()
        d.cleanup()


if __name__ == "__main__":
    main([test_failover, test_silent_address_costs_the_timeout_not_minutes,
          test_tls_failure_moves_on])
