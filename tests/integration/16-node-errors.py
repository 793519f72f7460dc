"""shelter-node answers like the daemon where it does the daemon's job: a
store error reaches the reporter as STORE_FULL with the store's reason
(not LMDB's text), and the node's backlog note rides in StatusReply.note,
not in the error field of an OK reply."""
import importlib.util
import json
import os

from harness import Daemon, PinnedReader, check, check_eq, main

_spec = importlib.util.spec_from_file_location(
    "node16", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           "16-node.py"))
node16 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(node16)


def run(fn):
    def test():
        nat = Daemon()
        nat.registry = node16.registry(nat.tmp)
        node = node16.Node(nat, args=["--map-size-mb", "1"])
        try:
            nat.start()
            node.start()
            fn(nat, node)
        finally:
            node.cleanup()
            nat.cleanup()
    test.__name__ = fn.__name__
    return test


def report(node, sid, seq):
    return node.run("SHELTER_REPORT", "--no-outbox", "--api", node.api,
                    "-s", sid, "-b", "women=4/%d" % (seq % 4),
                    "--seq", str(seq))


@run
def test_status_note_is_a_field(nat, node):
    check_eq(report(node, "SH-01", 1).returncode, 0, "report")
    p = node.ctl("--json", "status")
    check_eq(p.rc, 0, f"status {p.stderr}")
    st = json.loads(p.stdout)
    check("note" in st and st["note"].startswith("node VR01"),
          f"the backlog note in StatusReply.note: {st.get('note')}")
    p = node.ctl("status")
    check("node VR01" in p.stdout, p.stdout)


@run
def test_full_node_store_says_store_full(nat, node):
    # National away: every report stays in the node's outbox. A pinned
    # reader keeps LMDB from reusing pages, so once full, nothing fits.
    nat.stop()
    with PinnedReader(node.data):
        refused = None
        for seq in range(1, 4000):
            p = report(node, node16.SHELTERS[seq % 20], seq)
            if p.returncode != 0:
                refused = p
                break
        check(refused is not None, "the 1 MiB node store filled up")
        check("STORE_FULL" in refused.stderr
              and "store is full" in refused.stderr,
              f"the store's reason: {refused.stderr}")
        check("not stored" in node.read_log(), "log line")
        check(node.proc.poll() is None, "node alive")
        check_eq(node.ctl("regions").rc, 0, "reads served")


if __name__ == "__main__":
    main([test_status_note_is_a_field, test_full_node_store_says_store_full])
