"""Strings on the wire: a NUL, invalid UTF-8 or an over-long string in any
field is refused naming the field, the reply stays decodable, nothing is
stored; and a store that already holds bad bytes (written before this
check) is cleaned when it is opened. Requests are built byte by byte here
(protobuf-c cannot even pack a string with a NUL in it) and sent with
nngcat; replies are read with protoc: tools that share no code with
shelterd."""
import json
import os
import subprocess
import time

from harness import (BIN, Daemon, Failure, TEST_REGISTRY, check, check_eq,
                     decode, main)

NOW = int(time.time())


def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        out += bytes([b | (0x80 if n else 0)])
        if not n:
            return out


def ld(num, data):
    """A length-delimited field: tag, length, bytes."""
    return varint(num << 3 | 2) + varint(len(data)) + data


def num(num, value):
    return varint(num << 3) + varint(value)


def update(shelter_id, seq, occupied):
    bed = num(1, 1) + num(2, 10) + num(3, occupied)   # women 10/occupied
    body = (ld(1, shelter_id) + num(2, seq) + num(3, NOW) + num(4, 1) +
            ld(5, bed))
    return ld(1, body)                                 # Request.update


def raw_reply(d, payload, api=None):
    """The reply's bytes, as nngcat received them."""
    path = os.path.join(d.tmp, "raw-request.bin")
    with open(path, "wb") as f:
        f.write(payload)
    p = subprocess.run(["nngcat", "--req0", "--dial", api or d.api, "--raw",
                        "--file", path, "--recv-timeout", "5"],
                       capture_output=True, timeout=20)
    check_eq(p.returncode, 0, f"nngcat: {p.stderr!r}")
    return p.stdout


def refused(d, payload, words, node=None):
    """Refused as BAD_REQUEST with words in the error, in a reply any
    protobuf decoder reads, logged, and the daemon (or node) goes on."""
    raw = raw_reply(d, payload, node.api if node else None)
    reply = decode(raw)   # protoc refuses a string that is not UTF-8
    check(b"\xff" not in raw, f"raw bytes echoed: {raw!r}")
    check("code: CODE_BAD_REQUEST" in reply, f"want BAD_REQUEST:\n{reply}")
    check(words in reply, f"want {words!r} in:\n{reply}")
    check(words in (node or d).read_log(), f"log line with {words!r}")
    check((node or d).alive(), "daemon alive")
    return reply


def shelter(d, sid):
    return d.ctl("--json", "shelter", sid).json()


def test_nul_in_shelter_id_is_not_cut_off():
    d = Daemon(registry=TEST_REGISTRY).start()
    try:
        check_eq(d.report("-s", "S1", "-b", "women=10/4", "--seq",
                          "50").rc, 0, "baseline")
        before = shelter(d, "S1")
        refused(d, update(b"S1\0evil", 60, 9),
                "update.shelter_id: NUL byte at offset 2")
        check_eq(shelter(d, "S1"), before, "S1 unchanged")
        # Inside a batch, the field's index is named.
        batch = ld(6, ld(1, update(b"S2", 5, 1)[2:]) +
                   ld(1, update(b"S1\0", 61, 9)[2:]))
        refused(d, batch, "batch.updates[1].shelter_id: NUL byte")
        check_eq(shelter(d, "S1"), before, "S1 unchanged after the batch")
        check_eq(d.report("-s", "S1", "-b", "women=10/5", "--seq",
                          "51").rc, 0, "a good report still goes in")
        d.stop()
    finally:
        d.cleanup()


def test_invalid_utf8_is_not_echoed():
    d = Daemon(registry=TEST_REGISTRY).start()
    try:
        before = d.status()
        reply = refused(d, update(b"S\xff1", 1, 1),
                        "update.shelter_id: not UTF-8 at offset 1")
        # protoc shows the escaped backslash of \xff as \\xff.
        check("S\\\\xff1" in reply, f"escaped bytes shown:\n{reply}")
        refused(d, update(b"S" * 40, 1, 1),
                "update.shelter_id: 40 bytes, at most 31")
        # A placement answer's shelter (stored and shown with holds).
        answer = ld(10, ld(1, b"req-1") + ld(2, b"S1 \xc3("))
        refused(d, answer, "answer.shelter_id: not UTF-8 at offset 3")
        check_eq(d.status(), before, "nothing stored")
        d.stop()
    finally:
        d.cleanup()


def fill_s1(d):
    """S1 full: a shelter-scope alert on women."""
    check_eq(d.report("-s", "S1", "-b", "women=10/10").rc, 0, "S1 full")
    alerts = d.ctl("--json", "alerts").json()
    mine = [a for a in alerts if a["scope"] == "shelter"]
    check_eq(len(mine), 1, f"one shelter alert: {alerts}")
    return mine[0]


def events_decodable(d):
    """Every event, fetched by EventsSince, decodes as protobuf."""
    page = decode(raw_reply(d, ld(5, num(1, 0) + num(2, 1000))))
    check("code: CODE_OK" in page or "code:" not in page, page)
    return page


def test_ack_by_invalid_utf8_is_refused():
    d = Daemon(registry=TEST_REGISTRY).start()
    try:
        a = fill_s1(d)
        ack = ld(7, num(1, a["opened_seq"]) + ld(2, b"desk \xff"))
        refused(d, ack, "ack_alert.by: not UTF-8 at offset 5")
        after = [x for x in d.ctl("--json", "alerts").json()
                 if x["opened_seq"] == a["opened_seq"]][0]
        check_eq(after["acknowledged_by"], None, "not acknowledged")
        events_decodable(d)
        check_eq(d.ctl("ack", str(a["opened_seq"]), "--by", "desk-1").rc,
                 0, "a good ack still goes in")
        d.stop()
    finally:
        d.cleanup()


def test_old_store_with_bad_bytes_is_cleaned_on_open():
    """An older shelterd stored `by` as it came. Make such a store: ack
    with a marker, stop, and turn the marker's bytes into invalid UTF-8
    in the LMDB file itself (LMDB keeps values verbatim, no checksum)."""
    d = Daemon(registry=TEST_REGISTRY).start()
    try:
        a = fill_s1(d)
        check_eq(d.ctl("ack", str(a["opened_seq"]), "--by",
                       "Desk-QQ7Z").rc, 0, "ack")
        d.stop()
        path = os.path.join(d.data, "data.mdb")
        with open(path, "rb") as f:
            data = f.read()
        # In the alert and in its ACKNOWLEDGED event.
        check(data.count(b"Desk-QQ7Z") >= 2, "marker in the store")
        # And no mark that it was checked (a store from before it); the
        # changed key still sorts after the other meta keys.
        # (LMDB leaves older copies of pages in the file: all change.)
        data = data.replace(b"strings_checked", b"strings_checkez")
        with open(path, "wb") as f:
            f.write(data.replace(b"Desk-QQ7Z", b"Desk-\xff\xfe7Z"))

        d.start()
        r = d.ctl("--json", "alerts")
        check_eq(r.rc, 0, f"alerts {r}")
        acked = [x for x in json.loads(r.out)
                 if x["opened_seq"] == a["opened_seq"]][0]
        check_eq(acked["acknowledged_by"], "Desk-??7Z", "cleaned by")
        page = events_decodable(d)
        check('acknowledged_by: "Desk-??7Z"' in page, page)
        check("Desk-??7Z" in d.read_log() and "cleaned" in d.read_log(),
              f"cleaning logged:\n{d.read_log()[-2000:]}")
        d.stop()
        # Once cleaned, a restart finds nothing more to do.
        log_len = len(d.read_log())
        d.start()
        check("cleaned" not in d.read_log()[log_len:], "cleaned once")
        d.stop()
    finally:
        d.cleanup()


class Node:
    """A shelter-node for region R1 in front of the daemon d."""

    def __init__(self, d):
        self.d = d
        self.api = f"ipc://{d.tmp}/node-api.sock"
        self.log_path = os.path.join(d.tmp, "node.log")
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [os.environ["SHELTER_NODE"], "--region", "R1",
                 "--registry", TEST_REGISTRY,
                 "--data-dir", os.path.join(d.tmp, "node-data"),
                 "--api", self.api,
                 "--events", f"ipc://{d.tmp}/node-events.sock",
                 "--upstream", d.api, "--upstream-events", d.events,
                 "--log-level", "debug"], stdout=log,
                stderr=subprocess.STDOUT, env=d.env)
        deadline = time.monotonic() + 10
        while self.ctl("regions").rc != 0:
            if not self.alive() or time.monotonic() > deadline:
                raise Failure(f"shelter-node did not start:\n"
                              f"{self.read_log()}")
            time.sleep(0.05)

    def ctl(self, *args):
        return self.d.run("SHELTERCTL", "--api", self.api, *args)

    def alive(self):
        return self.proc.poll() is None

    def read_log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def stop(self):
        self.proc.terminate()
        check_eq(self.proc.wait(timeout=15), 0, "shelter-node exit")


def test_node_checks_strings_too():
    d = Daemon(registry=TEST_REGISTRY).start()
    node = None
    try:
        node = Node(d)
        check_eq(d.run("SHELTER_REPORT", "--api", node.api, "-s", "S1",
                       "-b", "women=10/4", "--seq", "50").rc, 0,
                 "baseline through the node")
        before = node.ctl("--json", "shelter", "S1").json()
        refused(d, update(b"S1\0evil", 60, 9),
                "update.shelter_id: NUL byte at offset 2", node)
        refused(d, update(b"S\xff1", 60, 9),
                "update.shelter_id: not UTF-8 at offset 1", node)
        check_eq(node.ctl("--json", "shelter", "S1").json(), before,
                 "S1 unchanged at the node")
        node.stop()
        node = None
        d.stop()
    finally:
        if node is not None:
            node.proc.kill()
        d.cleanup()


if __name__ == "__main__":
    main([test_nul_in_shelter_id_is_not_cut_off,
          test_invalid_utf8_is_not_echoed,
          test_ack_by_invalid_utf8_is_refused,
          test_old_store_with_bad_bytes_is_cleaned_on_open,
          test_node_checks_strings_too])
