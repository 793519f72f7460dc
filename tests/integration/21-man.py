"""Every option a program's --help shows is in its man page (built from
docs/man/*.scd) and in the bash completion, with the same short letter;
every key shelterd reads is in shelterd.conf(5)."""
import os
import re
import subprocess

from harness import check, main

BUILD = os.environ["BUILD_ROOT"]
SOURCE = os.environ["SOURCE_ROOT"]
COMPLETION = os.path.join(SOURCE, "packaging", "bash-completion",
                          "shelterd.bash")

# program -> (binary env var, man page, extra --help invocations)
PROGRAMS = {
    "shelterd": ("SHELTERD", "shelterd.8", []),
    "shelterctl": ("SHELTERCTL", "shelterctl.1", []),
    "shelter-report": ("SHELTER_REPORT", "shelter-report.1",
                       [["holds", "--help"]]),
    "region-place": ("REGION_PLACE", "region-place.1", []),
    "coord-watch": ("COORD_WATCH", "coord-watch.1", []),
    "shelter-node": ("SHELTER_NODE", "shelter-node.8", []),
    "keygen": ("KEYGEN", "keygen.1", []),
}


def helps(env, extra):
    out = ""
    for args in [["--help"]] + extra:
        p = subprocess.run([os.environ[env], *args], capture_output=True,
                           text=True, timeout=20)
        check(p.returncode == 0, f"{env} {args}: {p.returncode}")
        out += p.stdout
    return out


def man_text(page):
    path = os.path.join(BUILD, "docs", "man", page)
    check(os.path.exists(path), f"{path} not built (is scdoc installed? "
          "tools/deps installs it)")
    with open(path) as f:
        # roff: \fB--x\fR around options, \- for a few dashes.
        return re.sub(r"\\f[BIR]", "", f.read()).replace("\\-", "-")


def completion_opts(prog):
    text = open(COMPLETION).read()
    block = re.search(r"\n\t" + re.escape(prog) + r"\)\n(.*?)\n\t\t;;",
                      text, re.S)
    check(block, f"no completion block for {prog}")
    return set(re.findall(r"--[a-z][a-z0-9-]*", block.group(1))), text


def test_every_help_option_is_in_the_man_page_and_completion():
    missing = []
    for prog, (env, page, extra) in PROGRAMS.items():
        h = helps(env, extra)
        man = man_text(page)
        longs = set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", h))
        check(len(longs) >= 2, f"{prog}: no options found in --help")
        comp, comp_text = completion_opts(prog)
        for opt in sorted(longs):
            if not re.search(re.escape(opt) + r"(?![a-z0-9-])", man):
                missing.append(f"{page}: {opt}")
        # What the program accepts (its option lines), not every mention.
        for opt in set(re.findall(r"^\s+(?:-[A-Za-z], )?(--[a-z0-9-]+)", h,
                                  re.M)):
            if opt not in comp:
                missing.append(f"completion of {prog}: {opt}")
        for short, long_ in re.findall(r"^\s+(-[A-Za-z]), (--[a-z0-9-]+)",
                                       h, re.M):
            if f"{short}, {long_}" not in man:
                missing.append(f"{page}: '{short}, {long_}'")
            if (f"{prog}:{short}) echo {long_} ;;" not in comp_text and
                    f"*:{short}) echo {long_} ;;" not in comp_text):
                missing.append(f"completion of {prog}: {short} as {long_}")
    check(not missing, "missing: " + "; ".join(missing))


def test_every_config_key_is_in_shelterd_conf_5():
    man = man_text("shelterd.conf.5")
    p = subprocess.run([os.environ["SHELTERD"], "--print-config-example"],
                       capture_output=True, text=True, timeout=20)
    section, missing = None, []
    for line in p.stdout.splitlines():
        if line.startswith("["):
            section = line
            check(section in man, f"{section} in shelterd.conf(5)")
        elif "=" in line and not line.startswith("#"):
            key = line.split("=")[0].strip()
            if not re.search(r"(?m)^" + re.escape(key) + " = ", man):
                missing.append(f"{section} {key}")
    check(not missing, f"not in shelterd.conf(5): {missing}")


if __name__ == "__main__":
    main([test_every_help_option_is_in_the_man_page_and_completion,
          test_every_config_key_is_in_shelterd_conf_5])
