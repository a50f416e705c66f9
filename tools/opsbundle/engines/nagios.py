"""nagios4 -v: Nagios's own pre-flight check, on the rendered object files.

A bundle ships object files for /etc/nagios4/conf.d/ and resource files; the
check writes a standalone main configuration that loads exactly those (the
NRPE files are for the monitored hosts and are not nagios objects), runs as
the current user and keeps its check results in the scratch folder. Errors
and warnings both fail: a warning such as a service without contacts means
nobody is told. Parse errors name the file and line; unresolved references
("host 'x' not found") do not, so they point at the template's first line.
"""

from __future__ import annotations

import grp
import os
import pwd
import re
import subprocess

from . import placed

TOOL = "nagios"
BINARY = "nagios4"
PACKAGE = "nagios4-core"
_LINE = re.compile(r"in file '(?P<file>[^']+)' on line (?P<line>\d+)")


def _main_cfg(workdir, objects, resources) -> str:
    results = workdir / "check-results"
    results.mkdir(exist_ok=True)
    lines = [f"cfg_file={p}" for p in objects] + [f"resource_file={p}" for p in resources]
    lines += [
        f"check_result_path={results}",
        f"nagios_user={pwd.getpwuid(os.getuid()).pw_name}",
        f"nagios_group={grp.getgrgid(os.getgid()).gr_name}",
        "illegal_macro_output_chars=`~$&|'\"<>",
    ]
    return "\n".join(lines) + "\n"


def check(batch, workdir) -> list:
    found = []
    for rendered in batch:
        objects = [(s, p, d) for s, p, d in rendered.files if "/nagios4/conf.d/" in d]
        resources = [(s, p, d) for s, p, d in rendered.files if d.endswith("resource.cfg")]
        if not objects:
            continue
        main = workdir / f"nagios-{len(found)}.cfg"
        main.write_text(
            _main_cfg(workdir, [p for _, p, _ in objects], [p for _, p, _ in resources]),
            encoding="utf-8",
        )
        done = subprocess.run(
            [BINARY, "-v", str(main)], capture_output=True, text=True, timeout=120, check=False
        )
        problems = [
            ln.strip()
            for ln in (done.stdout + done.stderr).splitlines()
            if ln.strip().startswith(("Error:", "Warning:"))
        ]
        if done.returncode == 0 and not problems:
            continue
        by_path = {str(p): (s, d) for s, p, d in objects + resources}
        for line in problems or [f"nagios4 -v exited {done.returncode}"]:
            m = _LINE.search(line)
            found.append(
                placed(
                    "nagios4 -v",
                    rendered.ref,
                    by_path,
                    (objects[0][0], objects[0][2]),
                    line,
                    m["file"] if m else None,
                    m["line"] if m else None,
                )
            )
    return found
