"""Hosts for the Ansible suite: inventory hosts on this machine, each with a
root of its own at the real paths.

Every module a host runs starts in a private mount namespace whose /etc, /var
and /opt are overlays of this machine's own (Debian's stock nagios.cfg,
zones.conf, nrpe.cfg...; promtool's unpacked package adds /etc/prometheus)
with the host's writes kept in its own upper folders. So the role writes to
/etc/nagios4/conf.d for real, validate and check commands read the real
paths, and nothing outside the test's folder changes. The host is chosen by
its `ansible_python_interpreter`, a wrapper that enters the namespace.

Service actions go to a recorder (`opsbundles_service_command`), because no
systemd runs here and the machine's own daemons must not be touched; the
Zabbix API is a recorder on 127.0.0.1 too (the real import of the same
params is proven by the zabbix conformance suite).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from opsbundle import engines

ROOTS = ("etc", "var", "opt")
COLLECTION = Path(__file__).resolve().parents[3] / "ansible/opsbundles/deploy"
TIMEOUT = 600


def stock_etc() -> list[str]:
    """/etc lowers: the unpacked prometheus package's etc first, then /etc."""
    found = engines.which("promtool")
    lowers = []
    if found:
        top = Path(found).resolve().parents[2]
        if top != Path("/") and (top / "etc").is_dir():
            lowers.append(str(top / "etc"))
    return [*lowers, "/etc"]


class Site:
    def __init__(self, work: Path, hosts: dict[str, list[str]], groups: dict[str, list[str]]):
        self.work = work
        work.mkdir(parents=True, exist_ok=True)
        self.hosts = hosts
        self.log = work / "actions.log"
        self.log.touch()
        self.stubs = work / "stubs"
        self.stubs.mkdir()
        record = self.stubs / "record"
        record.write_text(f'#!/bin/sh\necho "$*" >> {self.log}\n')
        record.chmod(0o755)
        for host in hosts:
            self._host(host)
        self._inventory(groups)
        self.collections = work / "collections"
        self.zabbix = ZabbixRecorder()

    def _host(self, host: str) -> None:
        base = self.work / "hosts" / host
        mounts = []
        for top in ROOTS:
            for sub in ("up", "wk"):
                (base / f"{top}-{sub}").mkdir(parents=True)
            lower = ":".join(stock_etc()) if top == "etc" else f"/{top}"
            mounts.append(
                f"mount -t overlay overlay -o lowerdir={lower},upperdir={base}/{top}-up,"
                f"workdir={base}/{top}-wk /{top}"
            )
        wrapper = base / "python"
        wrapper.write_text(
            "#!/bin/sh\n"
            f"export PATH='{engines.search_path()}'\n"
            f"exec unshare -m /bin/sh -c '{' && '.join(mounts)} && exec /usr/bin/python3 \"$@\"'"
            ' python3 "$@"\n'
        )
        wrapper.chmod(0o755)

    def _inventory(self, groups: dict[str, list[str]]) -> None:
        inventory = {
            "all": {
                "hosts": {
                    h: {
                        "ansible_connection": "local",
                        "ansible_python_interpreter": str(self.work / "hosts" / h / "python"),
                    }
                    for h in self.hosts
                },
                "children": {
                    g: {"hosts": {h: {} for h in members}} for g, members in groups.items()
                },
            }
        }
        (self.work / "inventory.json").write_text(json.dumps(inventory, indent=2))

    def path(self, host: str, dest: str) -> Path:
        """Where a host's file at `dest` is kept (its overlay's upper folder)."""
        top, _, rest = dest.lstrip("/").partition("/")
        return self.work / "hosts" / host / f"{top}-up" / rest

    def removed(self, host: str, dest: str) -> bool:
        """An overlay records a removed lower file as a 0/0 character device."""
        p = self.path(host, dest)
        return p.exists() and stat.S_ISCHR(p.lstat().st_mode) or not p.exists()

    def build_collection(self) -> Path:
        out = self.work / "build"
        done = _run(
            [
                "ansible-galaxy",
                "collection",
                "build",
                str(COLLECTION),
                "--output-path",
                str(out),
                "--force",
            ],
            self.work,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        (tarball,) = out.glob("opsbundles-deploy-*.tar.gz")
        done = _run(
            [
                "ansible-galaxy",
                "collection",
                "install",
                str(tarball),
                "-p",
                str(self.collections),
                "--force",
            ],
            self.work,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return tarball

    def playbook(self, renders: list[Path], role_groups: dict, extra: dict | None = None) -> Path:
        play = [
            {
                "hosts": "all",
                "gather_facts": False,
                "vars": {
                    "opsbundles_role_groups": role_groups,
                    "opsbundles_service_command": (
                        f"{self.stubs}/record {{{{ inventory_hostname }}}} {{service}} {{action}}"
                    ),
                    "opsbundles_zabbix_url": self.zabbix.url,
                    "opsbundles_zabbix_password": "zabbix",
                    **(extra or {}),
                },
                "tasks": [
                    {
                        "name": "deploy each render",
                        "ansible.builtin.include_role": {"name": "opsbundles.deploy.deploy"},
                        "vars": {"opsbundles_render_dir": "{{ render }}"},
                        "loop": [str(r) for r in renders],
                        "loop_control": {"loop_var": "render"},
                    }
                ],
            }
        ]
        path = self.work / "site.yml"
        path.write_text(json.dumps(play, indent=2))
        return path

    def run(self, playbook: Path, *args: str) -> subprocess.CompletedProcess:
        env = {
            "ANSIBLE_COLLECTIONS_PATH": str(self.collections),
            "ANSIBLE_PIPELINING": "True",
            "ANSIBLE_HOST_KEY_CHECKING": "False",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORKS": "5",
            "ANSIBLE_LOCAL_TEMP": str(self.work / "ansible-local"),
            "ANSIBLE_REMOTE_TEMP": str(self.work / "ansible-remote"),
        }
        cmd = ["ansible-playbook", "-i", str(self.work / "inventory.json"), str(playbook), *args]
        return _run(cmd, self.work, env)

    def actions(self) -> list[str]:
        return self.log.read_text().splitlines()


def recap(output: str) -> dict[str, dict[str, int]]:
    """PLAY RECAP counts per host."""
    found = {}
    for host, counts in re.findall(r"^(\S+)\s+:\s+(ok=.*)$", output, re.MULTILINE):
        found[host] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", counts)}
    return found


def _run(cmd, cwd, env=None) -> subprocess.CompletedProcess:
    bindir = str(Path(sys.executable).parent)
    full = {**os.environ, **(env or {}), "PATH": bindir + os.pathsep + os.environ["PATH"]}
    assert shutil.which(cmd[0], path=full["PATH"]), f"{cmd[0]} is not installed (ansible-core)"
    return subprocess.run(
        cmd, cwd=cwd, env=full, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )


class ZabbixRecorder:
    """Answers user.login and configuration.import as Zabbix 6.0 does and
    keeps every request; stopped with stop()."""

    def __init__(self):
        self.requests: list[dict] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                recorder.requests.append(body)
                result = (
                    "0424bd59b807674191e7d77572075f33" if body["method"] == "user.login" else True
                )
                data = json.dumps({"jsonrpc": "2.0", "result": result, "id": body["id"]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/api_jsonrpc.php"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
