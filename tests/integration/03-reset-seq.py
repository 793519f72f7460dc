"""A shelter whose clock jumped ahead sent a seq from the future: every
later report is stale. The operator resets its seq (`shelterctl
reset-seq`): the next report is accepted, nothing else of its state is
lost, and only the operator may do it."""
import time

from harness import TEST_REGISTRY, Daemon, check, check_eq, main


def test_reset_seq_lets_the_shelter_report_again():
    d = Daemon(registry=TEST_REGISTRY)
    try:
        d.start()
        # Twelve hours ahead: within [reporting] max_seq_ahead_secs.
        ahead = str(int((time.time() + 12 * 3600) * 1e6))
        check_eq(d.report("-s", "S2", "-b", "women=10/4", "-b",
                          "minors=4/1", "--seq", ahead, "-N").rc, 0,
                 "a report from the future")
        r = d.report("-s", "S2", "-b", "women=10/5", "-b", "minors=4/1",
                     "-N")
        check(r.rc != 0 and "STALE_SEQ" in r.err, f"stale now: {r}")
        before = d.ctl("--json", "shelter", "S2").json()

        r = d.ctl("reset-seq", "S2")
        check_eq(r.rc, 0, f"reset-seq {r}")
        check(f"was {ahead}" in r.out, r.out)
        check("S2: seq reset" in d.read_log(), "logged")
        after = d.ctl("--json", "shelter", "S2").json()
        check_eq(after["beds"], before["beds"], "beds kept")
        check_eq(after["last_seq"], 1, "seq set back")

        r = d.report("-s", "S2", "-b", "women=10/5", "-b", "minors=4/1",
                     "-N")
        check_eq(r.rc, 0, f"reports again: {r}")
        check_eq(d.ctl("--json", "shelter", "S2").json()["beds"]["women"]
                 ["occupied"], 5, "the new report stands")
        r = d.ctl("reset-seq", "NOPE")
        check(r.rc != 0 and "UNKNOWN_SHELTER" in r.err, f"unknown {r}")
        d.stop()
        # The reset is in the audit log, with who did it (the chain's
        # head is unsigned here: this daemon has no [security] daemon_key,
        # which verify reports).
        r = d.ctl("audit", "verify", "--data-dir", d.data, "--print")
        line = [x for x in r.out.splitlines() if "sequence_reset" in x]
        check(len(line) == 1 and "unsigned/loopback" in line[0],
              f"one audited reset: {r.out}")
    finally:
        d.cleanup()


if __name__ == "__main__":
    main([test_reset_seq_lets_the_shelter_report_again])
