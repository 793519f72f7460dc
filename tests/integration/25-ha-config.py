"""The Pacemaker configuration of docs/ha.md is what its commands make
and it fails over: the `pcs` commands of the doc's ha-config block run
against an empty CIB file, crm_verify checks it, and crm_simulate brings
both machines up and then fails the primary. Needs pcs and
pacemaker-cli-utils (skipped without them); the resource agents are not
installed here, so pcs is told --force, and nothing runs a real cluster."""
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

from harness import check, main

SOURCE = os.environ["SOURCE_ROOT"]
SKIP = 77  # meson: skipped


def doc_commands():
    with open(os.path.join(SOURCE, "docs", "ha.md")) as f:
        text = f.read()
    m = re.search(r"<!-- ha-config[^>]*-->\n```sh\n(.*?)```", text, re.S)
    check(m, "docs/ha.md has no ha-config block")
    cmds = [shlex.split(l) for l in m.group(1).splitlines() if l.strip()]
    check(cmds and all(c[0] == "pcs" for c in cmds),
          "the ha-config block holds only pcs commands")
    return cmds


def run(args, env, what):
    p = subprocess.run(args, env=env, capture_output=True, text=True,
                       timeout=60)
    check(p.returncode == 0, f"{what}: exit {p.returncode}: {p.stderr}")
    return p.stdout


def section(out, title):
    """The lines of crm_simulate's "Revised Cluster Status"."""
    return out[out.index(title):]


def test_pcs_config_fails_over():
    tmp = tempfile.mkdtemp(prefix="shelterd-ha-")
    cib = os.path.join(tmp, "cib.xml")
    env = dict(os.environ, CIB_file=cib)
    try:
        with open(cib, "w") as f:
            f.write(run(["cibadmin", "--empty"], env, "cibadmin"))
        for c in doc_commands():
            # Agents are looked up for their metadata; not installed here.
            force = ["--force"] if c[1] in ("resource", "stonith") else []
            run(["pcs", "-f", cib, *c[1:], *force], env, " ".join(c))
        run(["crm_verify", "-V", "--xml-file", cib], env, "crm_verify")

        up = os.path.join(tmp, "up.xml")
        out = run(["crm_simulate", "-x", cib, "-u", "shelter-a",
                   "-u", "shelter-b", "-q", "1", "-S", "-O", up], env,
                  "crm_simulate up")
        rev = section(out, "Revised Cluster Status")
        for r in ("store-fs", "shelterd-vip", "shelterd\t"):
            check(re.search(rf"{r}.*Started shelter-a", rev),
                  f"{r.strip()} not on shelter-a:\n{rev}")
        check(re.search(r"Promoted: \[ shelter-a \]", rev),
              f"DRBD not primary on shelter-a:\n{rev}")

        # What the drbd agent sets on an UpToDate node.
        for node in ("shelter-a", "shelter-b"):
            run(["crm_attribute", "-N", node, "-n", "master-store-drbd",
                 "-v", "10000", "-l", "reboot"],
                dict(env, CIB_file=up), "crm_attribute")
        out = run(["crm_simulate", "-x", up, "-f", "shelter-a", "-q", "1",
                   "-S"], env, "crm_simulate fail")
        summary = out[out.index("Transition Summary"):
                      out.index("Executing Cluster Transition")]
        check(re.search(r"Fence \(reboot\) shelter-a", summary),
              f"shelter-a is not fenced:\n{summary}")
        check(re.search(r"Promote\s+store-drbd:\d\s+\(\s*Unpromoted -> "
                        r"Promoted shelter-b", summary),
              f"DRBD not promoted on shelter-b:\n{summary}")
        rev = section(out, "Revised Cluster Status")
        for r in ("store-fs", "shelterd-vip", "shelterd\t"):
            check(re.search(rf"{r}.*Started shelter-b", rev),
                  f"{r.strip()} not on shelter-b:\n{rev}")
        check(re.search(r"Promoted: \[ shelter-b \]", rev),
              f"DRBD not primary on shelter-b:\n{rev}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    missing = [t for t in ("pcs", "cibadmin", "crm_verify", "crm_simulate",
                           "crm_attribute") if shutil.which(t) is None]
    if missing:
        print(f"skipped: {', '.join(missing)} not installed (Debian "
              f"packages pcs, pacemaker-cli-utils)")
        sys.exit(SKIP)
    main([test_pcs_config_fails_over])
