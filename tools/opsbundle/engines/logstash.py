"""logstash: its configuration read as logstash reads it, grok expanded from the
standard patterns, every pattern compiled by Joni (the regex library logstash
runs on, through JRuby's Regexp) in one JVM with no JRuby start: a small class
of ours (engines/joni/JoniCheck.java) on Debian's joni.jar and jcodings.jar,
handing Joni each pattern as JRuby's Regexp.new does.

tools/setup.sh compiles the class into .venv/opt/java; elsewhere it is
compiled once into the user's cache (needs javac, default-jdk-headless).
logstash itself does not install here; this checks the parts that decide what
gets parsed: the structure the runner reads and each pattern on the regex
engine logstash runs on (see logparse/logstash.py).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
from pathlib import Path

from . import REPO, EngineFailed, patterns, which

TOOL = "logstash"
BINARY = "joni"  # notes say "joni checked ..."; the program is java
BINARIES = ("java",)
PACKAGE = "default-jre-headless, libjruby-joni-java (javac: default-jdk-headless)"
JARS = (Path("/usr/share/java/joni.jar"), Path("/usr/share/java/jcodings.jar"))
IDENTITY = JARS
SOURCE = Path(__file__).with_name("joni") / "JoniCheck.java"
USES = ("engines/patterns.py", "engines/joni/JoniCheck.java")
# a JVM that starts fast for a short job: no JIT beyond C1, the serial GC
JVM_FLAGS = ("-Xshare:auto", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-XX:-UsePerfData")


def _classes_dirs() -> list[Path]:
    """Where the compiled class may be, by the digest of its source: the one
    tools/setup.sh fills, then the user's cache."""
    from ..cache import cache_dir

    tag = "joni-" + hashlib.sha256(SOURCE.read_bytes()).hexdigest()[:16]
    return [REPO / ".venv" / "opt" / "java" / tag, cache_dir() / "java" / tag]


def _compiled() -> Path | None:
    return next((d for d in _classes_dirs() if (d / "JoniCheck.class").is_file()), None)


def available() -> bool:
    return (
        bool(which("java"))
        and all(j.is_file() for j in JARS)
        and (_compiled() is not None or bool(which("javac")))
    )


def classpath() -> str:
    """The classpath of JoniCheck, compiling it into the cache first if needed."""
    found = _compiled()
    if found is None:
        target = _classes_dirs()[-1]
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".joni-") as tmp:
            done = subprocess.run(
                [which("javac"), "-d", tmp, "-cp", os.pathsep.join(map(str, JARS)), str(SOURCE)],
                capture_output=True, text=True, timeout=300, check=False,
            )  # fmt: skip
            if done.returncode != 0:
                raise EngineFailed(f"javac JoniCheck.java: {done.stderr.strip()[-300:]}")
            try:
                os.replace(tmp, target)
            except OSError:
                if not (target / "JoniCheck.class").is_file():  # another run won the race
                    raise
            else:
                os.mkdir(tmp)  # for TemporaryDirectory's cleanup
        found = target
    return os.pathsep.join([str(found), *map(str, JARS)])


def command() -> list[str]:
    return [which("java"), *JVM_FLAGS, "-cp", classpath(), "JoniCheck"]


def prepare(rendered) -> list:
    from ..logparse import logstash as runner

    return patterns.prepare(runner, rendered)


def check(batch, workdir) -> list:
    return patterns.check(batch, command(), "Joni")
