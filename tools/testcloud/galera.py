"""MariaDB as a one-node Galera cluster (Debian's galera-4 provider), so
monitoring sees real wsrep_* status: wsrep_cluster_size 1, wsrep_ready ON,
wsrep_local_state 4 (Synced), wsrep_cluster_status Primary.

The node bootstraps its own cluster (`gcomm://`) with its group
communication, IST and SST on private 127.0.0.1 ports (Galera's defaults,
4567/4568/4444 on every address, would clash with any other node on the
machine). Everything else is the MariaDB daemon's: logs, info, sql(),
monitor(). Helpers: `status(name)` (one SHOW GLOBAL STATUS value),
`desync(on)` (SET GLOBAL wsrep_desync: the node leaves Synced while the
cluster stays Primary, as a donor does).
"""

from __future__ import annotations

from .daemon import HOST
from .mariadb import MariaDB

PROVIDER = "/usr/lib/galera/libgalera_smm.so"


class Galera(MariaDB):
    kind = "galera"

    def prepare(self) -> None:
        super().prepare()
        self.port("galera")
        self.port("ist")

    def server_options(self) -> list[str]:
        group, ist = f"{HOST}:{self.ports['galera']}", f"{HOST}:{self.ports['ist']}"
        return super().server_options() + [
            "--wsrep-on=ON",
            f"--wsrep-provider={PROVIDER}",
            "--wsrep-cluster-address=gcomm://",
            "--wsrep-cluster-name=testcloud",
            f"--wsrep-node-address={group}",
            f"--wsrep-sst-receive-address={ist}",
            f"--wsrep-provider-options=gmcast.listen_addr=tcp://{group};ist.recv_addr={ist}",
            "--binlog-format=ROW",
            "--default-storage-engine=InnoDB",
            "--innodb-autoinc-lock-mode=2",
        ]

    def ready(self) -> bool:
        return super().ready() and self.status("wsrep_local_state") == "4"

    def status(self, name: str) -> str:
        out = self.sql(f"SHOW GLOBAL STATUS LIKE '{name}'", timeout=10).split("\t")
        return out[1].strip() if len(out) > 1 else ""

    def desync(self, on: bool) -> None:
        self.sql(f"SET GLOBAL wsrep_desync = {'ON' if on else 'OFF'}")
