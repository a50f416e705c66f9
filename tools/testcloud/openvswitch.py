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

`OvnController`: ovn-controller as a chassis of that OVN, its br-int on the
dummy datapath too.

Logs: `ovsdb-server`, `ovs-vswitchd` (OVN: `ovsdb-server-nb`, `ovsdb-server-sb`,
`ovn-northd`; `ovn-controller`), each with `<name>.twin`. Info: `db` (the unix socket ovs-vsctl
or ovn-nbctl takes), `env` (OVS_RUNDIR for the ctl tools).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from .daemon import Daemon, DaemonError

# vlog's values again, tab-separated: time, sequence (counted per thread),
# thread ("main" or the thread's name), module, level, message
TWIN_PATTERN = "%D{%Y-%m-%dT%H:%M:%S.###Z}\t%N\t%t\t%c\t%p\t%m"
READY = {
    "ovsdb-server": "|ovsdb_server|INFO|ovsdb-server (Open vSwitch)",
    "ovs-vswitchd": "|bridge|INFO|ovs-vswitchd (Open vSwitch)",
    "ovn-northd": "|ovn_northd|INFO|",
    "ovn-controller": "|main|INFO|OVS OpenFlow connection reconnected",
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
        argv = ["-vconsole:info", f"-vPATTERN:console:{TWIN_PATTERN}", f"--log-file={log}",
                f"--pidfile={self.path(name + '.pid')}"]  # fmt: skip
        if name != "ovn-controller":  # its control socket follows OVN_RUNDIR
            argv.append(f"--unixctl={self.path(name + '.ctl')}")
        return argv

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


class OvnController(_Vlog):
    """ovn-controller on the OpenVswitch daemon's database and OVN's
    southbound one, as a chassis ("chassis-corpus", geneve on 127.0.0.1)
    whose integration bridge br-int lives on the dummy datapath
    (ovn-bridge-datapath-type=dummy). Options: ovs (the OpenVswitch's info
    and workdir), sb_db."""

    kind = "ovn_controller"

    @property
    def env(self) -> dict:
        return {**super().env, "OVS_RUNDIR": self.options["ovs_rundir"],
                "OVN_RUNDIR": str(self.workdir)}  # fmt: skip

    def prepare(self) -> None:
        self.info["db"] = self.options["ovs_db"]
        self.info["env"] = self.env
        self.ctl("ovs-vsctl", "set", "open_vswitch", ".", "external_ids:system-id=chassis-corpus",
                 f"external_ids:ovn-remote={self.options['sb_db']}",
                 "external_ids:ovn-encap-type=geneve", "external_ids:ovn-encap-ip=127.0.0.1",
                 "external_ids:ovn-bridge-datapath-type=dummy")  # fmt: skip

    def launch(self) -> None:
        self.run_vlog("ovn-controller", ["ovn-controller", self.info["db"]])
