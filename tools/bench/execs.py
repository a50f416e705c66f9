"""Count the programs a command starts, by name, with strace: every successful
execve(2) of the command and all its descendants (`strace -f`, filtered in the
kernel with seccomp-bpf so the count costs next to nothing).

ENGINE_PROGRAMS says which engine starts which program; a program two engines
share (systemd-analyze, logrotate, visudo for rpm and deb) counts for both together.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections import Counter
from pathlib import Path

# program (basename of the executed file) -> the engine(s) that start it
ENGINE_PROGRAMS = {
    "rsyslogd": "rsyslog",
    "ruby": "fluentd",
    "ruby3.1": "fluentd",
    "java": "logstash",
    "jruby": "logstash",
    "python3": "rpm (python3-rpm)",
    "python3.11": "rpm (python3-rpm)",
    "perl": "deb (perl)",
    "make": "deb (make, per distinct rules)",
    "dash": "deb (sh: one for all scripts)",
    "sh": "deb (sh: one for all scripts)",
    "systemd-analyze": "rpm + deb (systemd-analyze)",
    "logrotate": "rpm + deb (logrotate)",
    "apache2": "rpm (apache2 -t)",
    "visudo": "rpm + deb (visudo)",
    "nagios4": "nagios",
    "icinga2": "icinga2",
    "promtool": "prometheus (promtool)",
    "amtool": "prometheus (amtool)",
    "dpkg-parsechangelog": "deb (perl)",
    "dh_listpackages": "deb (perl)",
    "rpmspec": "rpm (python3-rpm)",
    "bwrap": "deb + rpm (confine's box: make, rpm)",
    "true": "deb + rpm (confine's probe: can it box?)",
}
# programs that run another in a box (engines/confine.py): what a box runs
# is started inside a PID namespace, where strace cannot tell who cloned it,
# so it counts as started beside its box, named by the box's own arguments
BOXES = ("bwrap",)
_BOXED = re.compile(r'"--", "(?P<program>[^"]+)"')
_CALL = re.compile(r'^execve\("(?P<path>[^"]+)"')
_CLONE = re.compile(r"^(?:<\.\.\. )?(?:clone3?|v?fork)\b.*= (?P<child>-?\d+)")
_OK = re.compile(r"\)\s+= 0$")


def available() -> bool:
    return shutil.which("strace") is not None


def count(cmd: list[str], env: dict) -> tuple[Counter, Counter, int]:
    """(processes `cmd` itself started, processes those started in turn, exit
    code), each a count by the name of the program the process first ran; a
    process that execs again (a wrapper script) counts once, `cmd` not at all,
    and what `cmd`'s forked workers start counts as started by `cmd`."""
    with tempfile.NamedTemporaryFile(prefix="opsbundle-bench-strace-", suffix=".log") as log:
        done = subprocess.run(
            ["strace", "-f", "-qq", "-s", "256", "--seccomp-bpf",
             "-e", "trace=execve,clone,clone3,fork,vfork", "-e", "signal=none", "-o", log.name,
             *cmd],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False,
        )  # fmt: skip
        lines = Path(log.name).read_text(errors="replace").splitlines()
    if done.returncode != 0:
        print(done.stderr.decode(errors="replace")[-2000:])
    creator: dict[str, tuple[str, bool]] = {}  # task -> (task that cloned it, a thread?)
    pending: dict[str, str] = {}  # task -> the first half of a line strace split in two
    started: list[tuple[str, str]] = []  # (task, program path)
    for line in lines:
        pid, _, rest = line.partition(" ")
        rest = rest.lstrip()
        if rest.startswith("<... "):
            rest = pending.pop(pid, "") + rest
        elif rest.endswith("<unfinished ...>"):
            pending[pid] = rest.removesuffix("<unfinished ...>")
            continue
        else:
            pending.pop(pid, None)  # strace printed the whole call again
        m = _CLONE.match(rest)
        if m and m["child"] != "-1":
            creator[m["child"]] = (pid, "CLONE_THREAD" in rest)
        m = _CALL.match(rest)
        if m and _OK.search(rest):
            started.append((pid, m["path"]))
            if Path(m["path"]).name in BOXES and (boxed := _BOXED.search(rest)):
                started.append((pid, boxed["program"]))

    def process(task: str) -> str:
        while task in creator and creator[task][1]:
            task = creator[task][0]
        return task

    def parent(task: str) -> str | None:
        task = process(task)
        return process(creator[task][0]) if task in creator else None

    ran: dict[str, str] = {}  # process -> the program it first ran
    for task, path in started:
        ran.setdefault(process(task), path)

    def launcher(task: str) -> str | None:
        """The nearest process above `task`'s that ran a program of its own:
        a process forked without one (a validate worker) is part of its parent."""
        up = parent(task)
        while up is not None and up not in ran:
            up = parent(up)
        return up

    direct, indirect = Counter(), Counter()
    root = process(started[0][0]) if started else ""
    seen = {root}
    box = None
    for task, path in started:
        proc = process(task)
        if proc == box:
            box = None  # the program the box just started runs
        elif proc in seen:
            continue  # a process that execs again (a wrapper script) started once
        elif Path(path).name in BOXES:
            box = proc
        seen.add(proc)
        (direct if launcher(task) == root else indirect)[Path(path).name] += 1
    return direct, indirect, done.returncode


def by_engine(programs: Counter) -> Counter:
    engines: Counter = Counter()
    for program, n in programs.items():
        engines[ENGINE_PROGRAMS.get(program, f"other ({program})")] += n
    return engines
