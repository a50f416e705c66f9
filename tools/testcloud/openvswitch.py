"""Open vSwitch and OVN from Debian (openvswitch-switch, ovn-central), each
daemon on private unix sockets in its own folder (OVS_RUNDIR, OVS_DBDIR,
OVS_LOGDIR point there), logging as the packages do (`--log-file`, vlog's
default file pattern) and, as its second view of the same records, to the
console with a tab-separated pattern of the same values (sequence number,
module, level, message: `<program>.twin`).

`OpenVswitch`: ovsdb-server with a fresh conf.db and ovs-vswitchd with the
dummy datapath enabled (`--enable-dummy`): bridges of datapath_type=dummy
live in ovs-vswitchd only, so nothing on this host changes (no kernel
datapath, no tap device). `Ovn`: the northbound and southbound ovsdb-servers
and ovn-northd between them.

Logs: `ovsdb-server`, `ovs-vswitchd` (OVN: `ovsdb-server-nb`, `ovsdb-server-sb`,
`ovn-northd`), each with `<name>.twin`. Info: `db` (the unix socket ovs-vsctl
or ovn-nbctl takes), `env` (OVS_RUNDIR for the ctl tools).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from .daemon import Daemon, DaemonError

# vlog's values again, tab-separated: time, sequence, module, level, message
TWIN_PATTERN = "%D{%Y-%m-%dT%H:%M:%S.###Z}\t%N\t%c\t%p\t%m"
READY = {
    "ovsdb-server": "|ovsdb_server|INFO|ovsdb-server (Open vSwitch)",
    "ovs-vswitchd": "|bridge|INFO|ovs-vswitchd (Open vSwitch)",
    "ovn-northd": "|ovn_northd|INFO|",
}


class _Vlog(Daemon):
    start_timeout = 60.0

    @property
    def env(self) -> dict:
        folder = str(self.workdir)
        return {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "OVS_RUNDIR": folder,
                "OVS_DBDIR": folder, "OVS_LOGDIR": folder}  # fmt: skip

    def vlog(self, name: str) -> list[str]:
        """The options that make `name` log twice (the console pattern first,
        so the first record, "opened log file", has its twin too)."""
        log = self.log(name, f"{name}.log")
        self.log(f"{name}.twin", f"{name}.twin")
        return ["-vconsole:info", f"-vPATTERN:console:{TWIN_PATTERN}", f"--log-file={log}",
                f"--pidfile={self.path(name + '.pid')}",
                f"--unixctl={self.path(name + '.ctl')}"]  # fmt: skip

    def run_vlog(self, name: str, argv: list[str]) -> None:
        self.spawn([*argv, *self.vlog(name)], name, log=self.logs[f"{name}.twin"], env=self.env)

    def create_db(self, name: str, schema: str) -> Path:
        db = self.path(f"{name}.db")
        if not db.exists():
            subprocess.run(["ovsdb-tool", "create", str(db), schema], check=True,
                           capture_output=True, timeout=60)  # fmt: skip
        return db

    def ready(self) -> bool:
        for name in self.logs:
            if name.endswith(".twin"):
                continue
            log = Path(self.logs[name])
            marker = READY[name.removesuffix("-nb").removesuffix("-sb")]
            if not log.exists() or marker not in log.read_text(errors="replace"):
                return False
        return True

    def ctl(self, tool: str, *args: str) -> str:
        argv = [tool, f"--db={self.info['db']}", "--timeout=30", *args]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60,
                              env=self.env)  # fmt: skip
        if done.returncode != 0:
            raise DaemonError(f"{' '.join(argv)}: {done.stderr.strip()}")
        return done.stdout


class OpenVswitch(_Vlog):
    kind = "openvswitch"

    def prepare(self) -> None:
        self.create_db("conf", "/usr/share/openvswitch/vswitch.ovsschema")
        self.info["db"] = f"unix:{self.path('db.sock')}"
        self.info["env"] = self.env

    def launch(self) -> None:
        db = self.path("conf.db")
        self.run_vlog("ovsdb-server", ["ovsdb-server", str(db), f"--remote=p{self.info['db']}"])
        self.run_vlog("ovs-vswitchd", ["ovs-vswitchd", self.info["db"], "--enable-dummy"])


class Ovn(_Vlog):
    kind = "ovn"

    def prepare(self) -> None:
        for part in ("nb", "sb"):
            self.create_db(part, f"/usr/share/ovn/ovn-{part}.ovsschema")
            self.info[f"{part}_db"] = f"unix:{self.path(part + '.sock')}"
        self.info["db"] = self.info["nb_db"]
        self.info["env"] = self.env

    def launch(self) -> None:
        for part in ("nb", "sb"):
            argv = [
                "ovsdb-server",
                str(self.path(f"{part}.db")),
                f"--remote=p{self.info[part + '_db']}",
            ]
            self.run_vlog(f"ovsdb-server-{part}", argv)
        argv = [
            "ovn-northd",
            f"--ovnnb-db={self.info['nb_db']}",
            f"--ovnsb-db={self.info['sb_db']}",
        ]
        self.run_vlog("ovn-northd", argv)
