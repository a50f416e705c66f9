"""Write the daemon part of the log-fields/v1 corpus with the real daemons of
tools/testcloud (Debian's packages), each logging a request twice through its
own log-format settings: the text line parsers read, and a JSON twin (the
oracle) of the same request.

    python interfaces/log-fields/v1/conformance/generate_daemons.py

Apache 2.4: Debian's `combined` CustomLog and a second CustomLog writing the
same fields as JSON (testcloud's `apache` with json_log). The requests are
real HTTP requests to it; times are the real ones, so a re-run writes new
times (the oracle comes with them). `site.json` names the program and version.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
REQUESTS = [
    ("GET", "/v3", None, "python-keystoneclient"),
    ("POST", "/v3/auth/tokens", b'{"auth": {}}', "openstacksdk/4.0.1 keystoneauth1/5.6.0"),
    ("GET", "/v3/users?domain_id=default&name=alice", None, "python-openstackclient"),
    ("DELETE", "/v3/projects/2b7e151628aed2a6abf7158809cf4f3c", None, "curl/7.88.1"),
]


def _apache_version() -> str:
    done = subprocess.run(["apache2", "-v"], capture_output=True, text=True, check=True)
    return done.stdout.split("Apache/")[1].split()[0]


def apache(out: Path) -> None:
    from testcloud.cloud import Cloud

    state = Path(tempfile.mkdtemp(prefix="opsbundle-corpus-"))
    cloud = Cloud(state)
    try:
        daemon = cloud.get("apache")
        for method, path, body, agent in REQUESTS:
            request = urllib.request.Request(
                daemon.info["url"] + path, data=body, method=method,
                headers={"User-Agent": agent, "Referer": "-"},
            )  # fmt: skip
            with urllib.request.urlopen(request, timeout=30) as answer:
                answer.read()
        cloud.down(remove=False)
        folder = out / f"apache2-{_apache_version()}" / "apache-combined" / "keystone"
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(daemon.logs["access"], folder / "keystone-access.log")
        shutil.copyfile(daemon.logs["json"], folder / "keystone-access.twin.jsonl")
        site = {"program": "apache2", "version": _apache_version(), "format": "combined"}
        (folder.parent / "site.json").write_text(json.dumps(site, indent=2) + "\n")
        print(f"wrote {folder.relative_to(HERE)}: {len(REQUESTS)} requests")
    finally:
        cloud.down()
        shutil.rmtree(state, ignore_errors=True)


def main() -> int:
    apache(HERE / "corpus")
    return 0


if __name__ == "__main__":
    sys.exit(main())
