"""Logs: RFC 3339 timestamps when not under journald, the <N> priority
prefix (and no timestamp) when JOURNAL_STREAM names our stderr, [log]
format = json (one object per line) and [log] file (reopened on SIGHUP,
for logrotate)."""
import json
import os
import re
import signal
import time

from harness import Daemon, check, check_eq, main

RFC3339 = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"


def started(d, env=None):
    """Start d with extra environment for the daemon itself."""
    saved = dict(os.environ)
    os.environ.update(env or {})
    try:
        return d.start()
    finally:
        os.environ.clear()
        os.environ.update(saved)


def lines(text):
    return [l for l in text.splitlines() if l.strip()]


def journal_stream(d):
    """What systemd would put in JOURNAL_STREAM for d's stderr."""
    open(d.log_path, "ab").close()
    st = os.stat(d.log_path)
    return f"{st.st_dev}:{st.st_ino}"


def test_text_has_rfc3339_timestamps():
    d = Daemon()
    try:
        # Inherited from a shell started by systemd, naming another stream:
        # not journald.
        started(d, {"JOURNAL_STREAM": "1:2"})
        d.stop()
        log = lines(d.read_log())
        check(len(log) > 3, f"log: {log}")
        for l in log:
            check(re.match(RFC3339 + r" shelterd (error|warn|info|debug): ",
                           l), f"not an RFC 3339 line: {l!r}")
        check(any(" shelterd info: shelterd " in l and "starting" in l
                  for l in log), f"start line: {log}")
    finally:
        d.cleanup()


def test_journald_keeps_the_priority_prefix():
    d = Daemon()
    try:
        started(d, {"JOURNAL_STREAM": journal_stream(d)})
        d.stop()
        log = lines(d.read_log())
        for l in log:
            check(re.match(r"<[3467]>shelterd (error|warn|info|debug): ", l),
                  f"not a journald line: {l!r}")
        check(any(l.startswith("<6>shelterd info: shelterd ") for l in log),
              f"info line: {log}")
        check(any(l.startswith("<4>shelterd warn: accepting UNSIGNED")
                  for l in log), f"warning line: {log}")
    finally:
        d.cleanup()


def parse_json_lines(text, journald=False):
    out = []
    for l in lines(text):
        if journald:
            m = re.match(r"<[3467]>", l)
            check(m, f"no priority prefix: {l!r}")
            l = l[m.end():]
        o = json.loads(l)
        check_eq(sorted(o), ["ident", "level", "msg", "time"], "fields")
        check(re.fullmatch(RFC3339, o["time"]), f"time {o['time']!r}")
        check_eq(o["ident"], "shelterd", "ident")
        out.append(o)
    return out


def test_json_format():
    d = Daemon(config="[log]\nformat = json\n")
    try:
        started(d)
        # A message with quotes and a backslash stays valid JSON.
        r = d.ctl("shelter", 'SH-"\\x')
        check(r.rc != 0, "unknown shelter")
        d.stop()
        objs = parse_json_lines(d.read_log())
        check(any(o["level"] == "info" and o["msg"].startswith("shelterd ")
                  and "starting" in o["msg"] for o in objs), f"{objs}")
        check(any(o["level"] == "warn" and "UNSIGNED" in o["msg"]
                  for o in objs), f"{objs}")
        d2 = Daemon(config="[log]\nformat = json\n")
        started(d2, {"JOURNAL_STREAM": journal_stream(d2)})
        d2.stop()
        parse_json_lines(d2.read_log(), journald=True)
        check(any(l.startswith('<6>{"time"') and '"level":"info"' in l
                  for l in lines(d2.read_log())), d2.read_log())
        d2.cleanup()
    finally:
        d.cleanup()


def test_log_file_and_reopen_on_sighup():
    d = Daemon()
    path = os.path.join(d.tmp, "shelterd-file.log")
    d.config = f"[log]\nfile = {path}\n"
    try:
        started(d)
        check_eq(d.read_log(), "", "nothing on stderr with [log] file")
        first = lines(open(path).read())
        check(any("starting" in l for l in first), f"file: {first}")
        check(all(re.match(RFC3339 + " shelterd ", l) for l in first),
              f"timestamps in the file: {first}")
        check_eq(os.stat(path).st_mode & 0o777 & ~0o640, 0, "mode 0640")
        # logrotate: move the file away, then reload.
        os.rename(path, path + ".1")
        d.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not (
                os.path.exists(path) and "reloaded" in open(path).read()):
            time.sleep(0.05)
        check("SIGHUP: configuration reloaded" in open(path).read(),
              "the reload is logged in the new file")
        check("reloaded" not in open(path + ".1").read(),
              "the old file gets nothing after the reopen")
        d.stop()
        check_eq(d.read_log(), "", "nothing on stderr")
    finally:
        d.cleanup()


def test_bad_log_settings_are_refused():
    d = Daemon(config="[log]\nformat = xml\n")
    try:
        try:
            d.start()
            raise AssertionError("started with [log] format = xml")
        except Exception as e:
            check("[log] format must be text or json" in str(e), str(e))
        d2 = Daemon(config="[log]\nfile = /nonexistent/dir/x.log\n")
        try:
            d2.start()
            raise AssertionError("started with an unwritable log file")
        except Exception as e:
            check("[log] file /nonexistent/dir/x.log: No such file" in
                  str(e), str(e))
        d2.cleanup()
    finally:
        d.cleanup()


if __name__ == "__main__":
    main([test_text_has_rfc3339_timestamps,
          test_journald_keeps_the_priority_prefix,
          test_json_format,
          test_log_file_and_reopen_on_sighup,
          test_bad_log_settings_are_refused])
