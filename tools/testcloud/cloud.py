"""A cloud: the daemons composed, started on demand, recorded in a state file.

`Cloud(state_dir)` reads the state file (if any) and attaches to the daemons
it lists; `cloud.get("haproxy")` returns a running daemon, starting it (and
what it needs: haproxy needs the WSGI servers it balances) when it is not
running yet. Daemons that do not need each other start in parallel. Every
start is written to the state file at once, so another process (`python -m
testcloud status`, a later test session with OPSBUNDLES_TESTCLOUD=<dir>) sees
and reuses it; `down()` stops them by PID, last dependency last.

To add a daemon: write its module (a `daemon.Daemon` subclass) and one entry
in SERVICES: what it needs and a function that builds it from the cloud.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from . import state
from .apache import Apache
from .daemon import HOST, Daemon, DaemonError, password
from .dnsmasq import Dnsmasq
from .exporters import NodeExporter
from .galera import Galera
from .haproxy import HAProxy
from .journald import Journald
from .libvirt import Libvirtd
from .mariadb import MariaDB, MariaDBSafe
from .memcached import Memcached
from .node import Node
from .openstack import Glance, Keystone, Placement
from .openvswitch import OpenVswitch, Ovn, OvnController
from .rabbitmq import RabbitMQ
from .rsyslog import HostSyslog, RsyslogReceiver
from .uwsgi import Uwsgi
from .webhook import Webhook

APPS = Path(__file__).resolve().parent / "apps"


@dataclass(frozen=True)
class Service:
    """`make(cloud, workdir)` builds the daemon (not started); the daemons it
    `needs` are running by then, in `cloud.daemons`."""

    needs: tuple[str, ...]
    make: Callable[[Cloud, Path], Daemon]


def _echo_app(cloud: Cloud) -> str:
    """The demo WSGI app, copied where Apache's www-data workers can read it."""
    target = cloud.state_dir / "apps" / "echo.wsgi"
    if not target.exists():
        target.parent.mkdir(mode=0o755, exist_ok=True)
        shutil.copyfile(APPS / "echo.wsgi", target)
        target.chmod(0o644)
    return str(target)


def _haproxy(cloud: Cloud, workdir: Path) -> HAProxy:
    routes = {
        "uwsgi_api": [["uwsgi", HOST, cloud.daemons["uwsgi"].ports["http"]]],
        "apache_api": [["apache", HOST, cloud.daemons["apache"].ports["http"]]],
    }
    syslog = cloud.daemons["syslog"].info
    return HAProxy(workdir, routes=routes, json_log=True, syslog=syslog)


def _openstack(cls, name: str):
    """A maker for one of our packaged services: its database and what it
    talks to come from the daemons it needs."""

    def make(cloud: Cloud, workdir: Path):
        db = cloud.daemons["mariadb"]
        old = cloud.daemons.get(name)
        secret = (old.options.get("db_password") if old else None) or password()
        mq = cloud.daemons["rabbitmq"].info
        options = {
            "root": str(cloud.daemons["node"].root),
            "db": db.database(name, name, secret),
            "db_password": secret,
            "memcache": cloud.daemons["memcached"].info["server"],
            "transport_url": mq.get("transport_url")
            or mq["amqp_url"].replace("amqp://", "rabbit://").rstrip("/") + "/",
        }
        if name != "keystone":
            keystone = cloud.daemons["keystone"]
            options.update(keystone=keystone.info["url"], admin=keystone.info["admin"])
        return cls(workdir, **options)

    return make


OPENSTACK_NEEDS = ("node", "mariadb", "memcached", "rabbitmq")

SERVICES: dict[str, Service] = {
    "mariadb": Service((), lambda cloud, wd: MariaDB(wd, slow_log=True)),
    # the same as Kolla's image starts it: through mysqld_safe (its own lines)
    "mariadb_safe": Service((), lambda cloud, wd: MariaDBSafe(wd)),
    "rabbitmq": Service((), lambda cloud, wd: RabbitMQ(wd, json_log=True, stats_interval_ms=1000)),
    "memcached": Service((), lambda cloud, wd: Memcached(wd)),
    "uwsgi": Service((), lambda cloud, wd: Uwsgi(wd, wsgi_file=_echo_app(cloud))),
    "apache": Service(
        (), lambda cloud, wd: Apache(wd, apps={"/": _echo_app(cloud)}, json_log=True)
    ),
    "haproxy": Service(("uwsgi", "apache", "syslog"), _haproxy),
    # monitoring (issue 11): a Galera node for the wsrep checks, the host's
    # node_exporter, and a webhook receiver for Alertmanager's notifications
    "galera": Service((), lambda cloud, wd: Galera(wd)),
    "node-exporter": Service((), lambda cloud, wd: NodeExporter(wd)),
    "webhook": Service((), lambda cloud, wd: Webhook(wd)),
    # the aggregator a log shipper under test forwards to (plain TCP and TLS)
    "rsyslog": Service((), lambda cloud, wd: RsyslogReceiver(wd)),
    # the host's own syslog (imuxsock, Debian's rules): HAProxy logs there too
    "syslog": Service((), lambda cloud, wd: HostSyslog(wd)),
    # neutron's DHCP agent's dnsmasq, logging to its own file as in Kolla
    "dnsmasq": Service((), lambda cloud, wd: Dnsmasq(wd)),
    # systemd-journald in a namespace of its own (OpenStack-Ansible's services
    # log there), and libvirtd in one inside it: its log file and, as the
    # second view of the same records, its journald output
    "journald": Service((), lambda cloud, wd: Journald(wd)),
    "libvirt": Service(
        ("journald",),
        lambda cloud, wd: Libvirtd(wd, journald_pid=cloud.daemons["journald"].procs[0].pid),
    ),
    # Open vSwitch (dummy datapath only: nothing on the host changes) and OVN
    "openvswitch": Service((), lambda cloud, wd: OpenVswitch(wd)),
    "ovn": Service((), lambda cloud, wd: Ovn(wd)),
    "ovn_controller": Service(
        ("openvswitch", "ovn"),
        lambda cloud, wd: OvnController(
            wd,
            ovs_db=cloud.daemons["openvswitch"].info["db"],
            sb_db=cloud.daemons["ovn"].info["sb_db"],
            ovs_rundir=str(cloud.daemons["openvswitch"].workdir),
        ),
    ),
    # our own debs of keystone, placement and glance, in an installed chroot
    "node": Service((), lambda cloud, wd: Node(wd)),
    "keystone": Service(OPENSTACK_NEEDS, _openstack(Keystone, "keystone")),
    "placement": Service(("keystone", *OPENSTACK_NEEDS), _openstack(Placement, "placement")),
    "glance": Service(("keystone", *OPENSTACK_NEEDS), _openstack(Glance, "glance")),
}
# Names that stand for several daemons in `up`, `order` and `get`.
GROUPS = {
    "openstack": ("keystone", "placement", "glance"),
    "infra": (
        "mariadb",
        "rabbitmq",
        "memcached",
        "haproxy",
        "apache",
        "uwsgi",
        "rsyslog",
        "syslog",
        "dnsmasq",
        "openvswitch",
        "ovn",
        "ovn_controller",
        "journald",
        "libvirt",
    ),  # fmt: skip
}


def order(names) -> list[list[str]]:
    """`names` and everything they need, in waves: each wave needs only
    earlier ones."""
    wanted: set[str] = set()

    def add(name: str) -> None:
        if name not in SERVICES:
            raise DaemonError(f"no daemon {name!r} (known: {', '.join(sorted(SERVICES))})")
        if name not in wanted:
            wanted.add(name)
            for need in SERVICES[name].needs:
                add(need)

    for name in names:
        for member in GROUPS.get(name, (name,)):
            add(member)
    waves, done = [], set()
    while wanted - done:
        wave = sorted(n for n in wanted - done if set(SERVICES[n].needs) <= done)
        waves.append(wave)
        done.update(wave)
    return waves


class Cloud:
    def __init__(self, state_dir: Path):
        self.state_dir = Path(state_dir)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.state_dir.chmod(0o755)  # Apache's and the services' users read below it
        self.daemons: dict[str, Daemon] = {}
        self.reload()

    def reload(self) -> None:
        data = state.read(self.state_dir)
        self.services = data.get("services", {})
        self.daemons = {name: state.revive(r) for name, r in data.get("daemons", {}).items()}

    def save(self) -> None:
        data = state.read(self.state_dir)
        data["daemons"] = {name: d.record() for name, d in sorted(self.daemons.items())}
        data["services"] = self.services = self.summary()
        state.write(self.state_dir, data)

    def summary(self) -> dict:
        """What a later suite needs of the OpenStack part: endpoints by service
        type, keystone's admin credentials (OS_* names), each service's logs."""
        out: dict = {}
        kinds = {"keystone": ("identity", "/v3"), "placement": ("placement", ""),
                 "glance": ("image", "")}  # fmt: skip
        for name, (kind, suffix) in kinds.items():
            daemon = self.daemons.get(name)
            if daemon is None or "url" not in daemon.info:
                continue
            out.setdefault("endpoints", {})[kind] = daemon.info["url"] + suffix
            out.setdefault("logs", {})[name] = daemon.logs
            if "admin" in daemon.info:
                out["admin"] = daemon.info["admin"]
        if "node" in self.daemons and "root" in self.daemons["node"].info:
            out["node"] = self.daemons["node"].info["root"]
        return out

    # ----- daemons

    def running(self, name: str) -> bool:
        daemon = self.daemons.get(name)
        return daemon is not None and daemon.alive()

    def get(self, name: str) -> Daemon:
        """The running daemon `name`, started (with what it needs) if it is not."""
        if not self.running(name):
            self.up([name])
        return self.daemons[name]

    __getitem__ = get

    def up(self, names=None) -> None:
        """Start what is not running among `names` (default: the infra
        daemons; "openstack" adds our packaged services)."""
        with state.locked(self.state_dir):
            self.reload()  # another process may have started some meanwhile
            for wave in order(names or GROUPS["infra"]):
                todo = [n for n in wave if not self.running(n)]
                with ThreadPoolExecutor(max_workers=max(1, len(todo))) as pool:
                    futures = {n: pool.submit(self._start, n) for n in todo}
                problems = []
                for name, future in futures.items():
                    try:
                        self.daemons[name] = future.result()
                    except DaemonError as err:
                        problems.append(str(err))
                self.save()
                if problems:
                    raise DaemonError("\n".join(problems))

    def stop(self, name: str) -> None:
        """Stop one running daemon by PID (its data stays, for restart)."""
        with state.locked(self.state_dir):
            self.reload()
            self.daemons[name].stop()
            self.save()

    def restart(self, name: str) -> Daemon:
        """Start a daemon again on its own ports and data (after stop(), or
        while it runs); the state file gets its new PIDs."""
        with state.locked(self.state_dir):
            self.reload()
            try:
                self.daemons[name].restart()
            finally:
                self.save()
            return self.daemons[name]

    def _start(self, name: str) -> Daemon:
        workdir = self.state_dir / name
        daemon = SERVICES[name].make(self, workdir)
        old = self.daemons.get(name)
        if old is not None:  # a restart: the same ports, so its clients still reach it
            daemon.preferred = dict(old.ports)
        return daemon.start()

    def status(self) -> dict[str, dict]:
        """For each daemon in the state: alive (its PIDs are its own) and
        ready (its real signal answers now)."""
        out = {}
        for name, daemon in sorted(self.daemons.items()):
            alive = daemon.alive()
            try:
                ready = alive and bool(daemon.ready())
            except (OSError, DaemonError):
                ready = False
            pids = [p.pid for p in daemon.procs]
            out[name] = {"alive": alive, "ready": ready, "pids": pids, "logs": daemon.logs}
        return out

    def down(self, remove: bool = True) -> None:
        """Stop every daemon by PID, dependents first; with `remove`, delete
        their data (the state dir's logs go with it)."""
        with state.locked(self.state_dir):
            self.reload()
            problems = []
            for wave in reversed(order(n for n in self.daemons if n in SERVICES)):
                # a daemon started before a need was added to SERVICES lacks it
                for name in (n for n in wave if n in self.daemons):
                    try:
                        self.daemons[name].stop()
                    except DaemonError as err:
                        problems.append(f"{name}: {err}")
            for name in [n for n in self.daemons if n not in SERVICES]:
                self.daemons[name].stop()
            if remove:
                for daemon in self.daemons.values():
                    if hasattr(daemon, "remove"):
                        daemon.remove()  # checks nothing is mounted below it
            self.daemons = {}
            self.save()
            if remove:
                for entry in self.state_dir.iterdir():
                    if entry.name not in (state.FILE, "lock"):
                        shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
            if problems:
                raise DaemonError("\n".join(problems))
