"""Write the journald part of the log-fields/v1 corpus: the oslo.log records of
generate_oslo.py's kinds, logged as OpenStack-Ansible's services log them
(`use_journal = True` and no log file: oslo.log's own OSJournalHandler sends
each record to systemd-journald), by Debian 12's oslo.log 5.0.1 and
python3-systemd to Debian 12's real systemd-journald (tools/testcloud's
Journald, in a mount namespace of its own).

    python interfaces/log-fields/v1/conformance/generate_journal.py   # as root

Each kind runs as its own process named after the program (the journal's
SYSLOG_IDENTIFIER is oslo.log's binary name: the script's file name), set up
by oslo.log's `log.setup()` from the options as a service would, with a second
handler on the root logger: oslo.log's JSONFormatter, the twin (the oracle,
as for every oslo.log source). After journald has stopped, `journalctl -o
export` of that process's entries is `<program>.export`: what the suite turns
back into a journal file with systemd-journal-remote for the bundles to read.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[3]
PYTHON = "/usr/bin/python3"  # Debian's, with python3-oslo.log and python3-systemd
LAUNCHER = """\
import sys
sys.path.insert(0, {here!r})
import generate_journal
generate_journal.child({kind!r}, {out!r})
"""


def child(kind: str, out: str) -> None:
    """In the program's own process: oslo.log set up as the service's config
    would (use_journal), the twin beside it, then the kind's records."""
    import logging
    import os
    import time

    import generate_oslo as oslo
    from oslo_log import formatters, log

    os.environ["TZ"] = "UTC"
    time.tzset()
    service, program, name, overrides = oslo.KINDS[kind]
    conf = oslo._conf({**overrides, "use_journal": True, "use_stderr": False})
    log.setup(conf, "nova")
    folder = Path(out) / kind / service
    folder.mkdir(parents=True, exist_ok=True)
    twin = logging.FileHandler(folder / f"{program}.twin.jsonl", mode="w", encoding="utf-8")
    twin.setFormatter(formatters.JSONFormatter(datefmt=conf.log_date_format))
    # before the journal's handler: ContextFormatter changes `instance` on the record
    logging.getLogger().handlers.insert(0, twin)
    logger = logging.getLogger(name)
    logger.setLevel(logging.DEBUG)
    logger.addFilter(oslo._Clock())
    oslo._scenario(kind, log.getLogger(name))
    twin.close()
    site = {key: getattr(conf, key) for key in oslo.SITE_KEYS}
    site.update(program="oslo.log", journal=True, use_journal=True)
    (Path(out) / kind / "site.json").write_text(json.dumps(site, indent=2) + "\n", encoding="utf-8")


def _systemd_version() -> str:
    done = subprocess.run(["journalctl", "--version"], capture_output=True, text=True, check=True)
    return done.stdout.split()[1]


def main() -> int:
    sys.path.insert(0, str(ROOT / "tools"))
    import generate_oslo as oslo
    from opsbundle.logparse import journal
    from testcloud.journald import Journald

    out = HERE / "corpus" / f"journald-{_systemd_version()}"
    shutil.rmtree(out, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix="opsbundles-journal-") as tmp:
        journald = Journald(Path(tmp) / "journald").start()
        pids = {}
        try:
            for kind, (_, program, _, _) in oslo.KINDS.items():
                launcher = Path(tmp) / kind / program  # its name is the SYSLOG_IDENTIFIER
                launcher.parent.mkdir(parents=True)
                launcher.write_text(LAUNCHER.format(here=str(HERE), kind=kind, out=str(out)))
                popen = subprocess.Popen(journald.inside([PYTHON, str(launcher)]))
                if popen.wait(120) != 0:
                    raise SystemExit(f"{kind}: exit {popen.returncode}")
                pids[kind] = popen.pid  # the program's own (journald.inside)
        finally:
            journald.stop()
        for kind, (service, program, _, _) in oslo.KINDS.items():
            data = journald.export(f"_PID={pids[kind]}")
            (out / kind / service / f"{program}.export").write_bytes(data)
            twins = (out / kind / service / f"{program}.twin.jsonl").read_text().count("\n")
            entries = journal.entries(data)
            if entries != twins:
                raise SystemExit(f"{kind}: {entries} journal entries, {twins} twin records")
            print(f"{out.name}/{kind}/{service}/{program}.export: {entries} entries")
    return 0


if __name__ == "__main__":
    sys.exit(main())
