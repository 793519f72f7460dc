"""Mutual TLS, signed requests and per-role authorization, on
tls+tcp://localhost with certificates and keys from tools/mksecrets."""
import os
import subprocess
import time

from harness import Daemon, free_ports, check, check_eq, main, make_secrets




class Secure:
    def __init__(self, extra=""):
        self.d = Daemon()
        self.sec = make_secrets(self.d)
        api_port, events_port = free_ports(2)
        self.d.api = f"tls+tcp://localhost:{api_port}"
        self.d.events = f"tls+tcp://localhost:{events_port}"
        pki = os.path.join(self.sec, "pki")
        self.d.env.update(SHELTERD_API=self.d.api,
                          SHELTERD_EVENTS=self.d.events,
                          SHELTERD_TLS_CA=os.path.join(pki, "ca.pem"),
                          SHELTERD_TLS_CERT=os.path.join(pki, "client.pem"),
                          SHELTERD_KEY=self.key("operator"))
        self.d.registry = os.path.join(self.sec, "registry")
        self.d.config = ("[security]\nallow_unsigned = 0\n"
                         "[tls]\ncert_file = %s\nca_file = %s\n%s"
                         % (os.path.join(pki, "server.pem"),
                            os.path.join(pki, "ca.pem"), extra))
        self.pki = pki

    def key(self, identity):
        # keygen names key files with '-' where the identity has ':'.
        return os.path.join(self.sec, "keys",
                            identity.replace(":", "-") + ".key")

    def as_(self, identity, tool, *args, env=None):
        e = dict(self.d.env, SHELTERD_KEY=self.key(identity))
        e.update(env or {})
        p = subprocess.run([os.environ[tool], *args], env=e,
                           capture_output=True, text=True, timeout=30)
        return p


def secure(fn):
    def test():
        s = Secure()
        try:
            s.d.start()
            fn(s)
            s.d.stop()
        finally:
            s.d.cleanup()
    test.__name__ = fn.__name__
    return test


REPORT = ("SHELTER_REPORT", "--no-outbox", "-s")


@secure
def test_a_shelter_reports_only_for_itself(s):
    p = s.as_("shelter:SH-UT-003", *REPORT, "SH-UT-003", "-b", "women=4/3")
    check_eq(p.returncode, 0, f"own report {p.stderr}")
    p = s.as_("shelter:SH-UT-003", *REPORT, "SH-UT-004", "-b", "women=15/3")
    check_eq(p.returncode, 1, "another shelter")
    check("FORBIDDEN" in p.stderr and "may not report for shelter "
          "'SH-UT-004'" in p.stderr, p.stderr)
    check("refused request from shelter:SH-UT-003" in s.d.read_log(),
          "logged with the identity")
    # A regional gateway may report for the shelters of its region only.
    p = s.as_("region:VR09", *REPORT, "SH-UT-004", "-b", "women=15/3")
    check_eq(p.returncode, 0, f"gateway, own region {p.stderr}")
    p = s.as_("region:VR09", *REPORT, "SH-AMS-001", "-b", "women=1/1")
    check_eq(p.returncode, 1, "gateway, other region")


@secure
def test_a_region_places_only_from_itself(s):
    for sid, beds in (("SH-UT-001", ["women=16/0", "men=7/0", "minors=6/0"]),
                      ("SH-AMS-001", None)):
        if beds is None:
            continue
        args = [x for b in beds for x in ("-b", b)]
        p = s.as_("shelter:" + sid, *REPORT, sid, *args)
        check_eq(p.returncode, 0, f"seed {p.stderr}")
    p = s.as_("region:VR13", "REGION_PLACE", "request", "-r", "VR13", "-c",
              "women", "-C", "VR13-2026-0001", "--no-wait")
    check_eq(p.returncode, 0, f"own region {p.stderr}")
    p = s.as_("region:VR13", "REGION_PLACE", "request", "-r", "VR09", "-c",
              "women", "-C", "VR09-2026-0001", "--no-wait")
    check_eq(p.returncode, 1, "another region")
    check("FORBIDDEN" in p.stderr, p.stderr)
    p = s.as_("shelter:SH-UT-001", "REGION_PLACE", "request", "-r", "VR09",
              "-c", "women", "-C", "VR09-2026-0002", "--no-wait")
    check_eq(p.returncode, 1, "a shelter cannot place")


@secure
def test_bad_signatures_replays_and_old_requests_are_refused(s):
    # The right identity, signed with another party's secret key.
    forged = os.path.join(s.d.tmp, "forged.key")
    with open(s.key("shelter:SH-UT-004")) as f:
        text = f.read().replace("shelter:SH-UT-004", "shelter:SH-UT-003")
    with open(forged, "w") as f:
        f.write(text)
    p = s.as_("shelter:SH-UT-003", *REPORT, "SH-UT-003", "-b", "women=4/1",
              env={"SHELTERD_KEY": forged})
    check_eq(p.returncode, 1, "forged")
    check("UNAUTHENTICATED" in p.stderr and "bad signature" in p.stderr,
          p.stderr)
    # Unsigned.
    e = dict(s.d.env)
    del e["SHELTERD_KEY"]
    p = subprocess.run([os.environ["SHELTERCTL"], "status"], env=e,
                       capture_output=True, text=True, timeout=30)
    check_eq(p.returncode, 1, "unsigned")
    check("must be signed" in p.stderr, p.stderr)
    # A replay of the very same bytes.
    dump = os.path.join(s.d.tmp, "sent.bin")
    p = s.as_("shelter:SH-UT-003", *REPORT, "SH-UT-003", "-b", "women=4/2",
              env={"SHELTERD_DUMP_REQUEST": dump})
    check_eq(p.returncode, 0, f"original {p.stderr}")
    with open(dump, "rb") as f:
        sent = f.read()
    reply = replay(s, sent)
    check("CODE_UNAUTHENTICATED" in reply and "replayed" in reply, reply)


def replay(s, payload):
    path = os.path.join(s.d.tmp, "replay.bin")
    with open(path, "wb") as f:
        f.write(payload)
    p = subprocess.run(
        ["nngcat", "--req0", "--dial", s.d.api, "--raw", "--file", path,
         "--cacert", os.path.join(s.pki, "ca.pem"), "--cert",
         os.path.join(s.pki, "client.crt"), "--key",
         os.path.join(s.pki, "client.key"), "--recv-timeout", "10"],
        capture_output=True, timeout=30)
    check_eq(p.returncode, 0, f"nngcat {p.stderr!r}")
    from harness import decode
    return decode(p.stdout)


def test_an_old_request_is_refused():
    s = Secure("[security]\nmax_clock_skew_secs = 1\n")
    try:
        s.d.start()
        dump = os.path.join(s.d.tmp, "sent.bin")
        p = s.as_("national", "SHELTERCTL", "status",
                  env={"SHELTERD_DUMP_REQUEST": dump})
        check_eq(p.returncode, 0, f"fresh {p.stderr}")
        time.sleep(2.5)
        with open(dump, "rb") as f:
            reply = replay(s, f.read())
        check("CODE_UNAUTHENTICATED" in reply and "timestamp" in reply,
              reply)
        s.d.stop()
    finally:
        s.d.cleanup()


@secure
def test_clients_without_our_certificate_cannot_connect(s):
    for cert in ("", os.path.join(s.pki, "rogue-client.pem")):
        p = s.as_("national", "SHELTERCTL", "-T", "3000", "status",
                  env={"SHELTERD_TLS_CERT": cert})
        check_eq(p.returncode, 3, f"cert {cert!r}: {p.stderr}")
        check("cannot reach" in p.stderr or "no answer" in p.stderr,
              p.stderr)
    check_eq(s.as_("national", "SHELTERCTL", "status").returncode, 0,
             "with our certificate")


@secure
def test_only_national_acknowledges_alerts(s):
    # Fill Zeeland's only highsec shelter: region critical.
    p = s.as_("shelter:SH-ZEE-006", *REPORT, "SH-ZEE-006", "-b",
              "minors=7/7", "-b", "highsec=2/2")
    check_eq(p.returncode, 0, f"fill {p.stderr}")
    p = s.as_("national", "SHELTERCTL", "--json", "alerts")
    import json
    alerts = json.loads(p.stdout)
    seq = [a for a in alerts if a["scope"] == "region"][0]["opened_seq"]
    p = s.as_("shelter:SH-ZEE-006", "SHELTERCTL", "ack", str(seq), "--by",
              "me")
    check_eq(p.returncode, 1, "a shelter cannot acknowledge")
    check("only the national coordinator" in p.stderr, p.stderr)
    p = s.as_("national", "SHELTERCTL", "ack", str(seq), "--by", "desk")
    check_eq(p.returncode, 0, f"national acknowledges {p.stderr}")


if __name__ == "__main__":
    main([test_a_shelter_reports_only_for_itself,
          test_a_region_places_only_from_itself,
          test_bad_signatures_replays_and_old_requests_are_refused,
          test_an_old_request_is_refused,
          test_clients_without_our_certificate_cannot_connect,
          test_only_national_acknowledges_alerts])
