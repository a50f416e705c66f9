"""A pair of rsyslogd (Debian's): an aggregator that receives what a log
shipper forwards, and forwarders that run a bundle's rendered drop-ins.

`RsyslogReceiver` listens on 127.0.0.1 twice, with kernel-chosen ports
(imtcp's `listenPortFileName`): plain TCP (`tcp`) and TLS (`tls`, gtls with a
certificate for 127.0.0.1 signed by a CA made for this start with openssl,
`info["ca_file"]`). Each listener writes every message as received
(`%rawmsg%`) to its own log: `tcp` and `tls`, one line each.

`HostSyslog` is a host's own syslog as Debian sets it up: rsyslogd reading
a `/dev/log`-like unix socket (`socket`: imuxsock, as Debian's haproxy
package adds one) and writing with rsyslog's default file format; Debian's
haproxy rule (`:programname, startswith, "haproxy"`) sends HAProxy's lines to
`haproxy` (haproxy.log) and, as rsyslog's own JSON of the same messages
(time, host, program, pid, message), to `haproxy_twin`; the rest goes to
`syslog`. `raw` holds each datagram as received (`%rawmsg%`: the `<PRI>` and
RFC 3164 header the program sent, as a network syslog input such as Kolla's
fluentd gets it). A second socket (`sd_socket`) takes RFC 5424 messages and
writes their structured data as JSON (mmpstrucdata) to `structured`.
A UDP input on 127.0.0.1 (`info["udp_port"]`, a private port) stands where
Kolla's fluentd listens (its in_syslog, `syslog_udp_port`): each datagram as
received (`%rawmsg%`) goes to `udp_raw`, for a caller to write the file
Kolla's fluentd would make of it (testcloud.kolla_fluentd).

`RsyslogForwarder` is one rsyslogd on a given main config (the drop-ins under
test, included as a host's rsyslog.conf includes them); it is ready when it
has written its pid file, after rsyslogd has read its configuration.
"""

from __future__ import annotations

from pathlib import Path

from .daemon import HOST, Daemon, run

RECEIVER = """global(workDirectory="{state}" maxMessageSize="256k")
module(load="imtcp")
template(name="opsbundles_received" type="string" string="%rawmsg%\\n")
ruleset(name="received_tcp") {{
    action(type="omfile" file="{tcp_log}" template="opsbundles_received")
}}
ruleset(name="received_tls") {{
    action(type="omfile" file="{tls_log}" template="opsbundles_received")
}}
input(type="imtcp" port="0" address="{host}" listenPortFileName="{tcp_port}"
      ruleset="received_tcp")
input(type="imtcp" port="0" address="{host}" listenPortFileName="{tls_port}"
      ruleset="received_tls" streamDriver.name="gtls" streamDriver.mode="1"
      streamDriver.authMode="anon" streamDriver.CAFile="{ca}"
      streamDriver.CertFile="{cert}" streamDriver.KeyFile="{key}")
"""


def make_ca(folder: Path, name: str = HOST) -> dict[str, str]:
    """A throw-away CA and a server certificate for `name` (CN and IP/DNS SAN)."""
    folder.mkdir(parents=True, exist_ok=True)
    ca, ca_key = folder / "ca.pem", folder / "ca-key.pem"
    key, csr, cert = folder / "server-key.pem", folder / "server.csr", folder / "server.pem"
    ext = folder / "server.ext"
    ext.write_text(f"subjectAltName=IP:{name},DNS:localhost\n")
    new_key = ["-newkey", "rsa:2048", "-nodes", "-keyout"]
    subject = "/CN=opsbundles throw-away test CA"
    run(["openssl", "req", "-x509", *new_key, str(ca_key), "-out", str(ca), "-days", "2",
         "-subj", subject], "openssl CA")  # fmt: skip
    run(["openssl", "req", *new_key, str(key), "-out", str(csr), "-subj", f"/CN={name}"],
        "openssl request")  # fmt: skip
    run(["openssl", "x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key),
         "-CAcreateserial", "-out", str(cert), "-days", "2", "-extfile", str(ext)],
        "openssl sign")  # fmt: skip
    return {"ca_file": str(ca), "cert_file": str(cert), "key_file": str(key)}


class RsyslogReceiver(Daemon):
    kind = "rsyslog-receiver"
    start_timeout = 30.0

    def prepare(self) -> None:
        self.info.update(make_ca(self.workdir / "tls"))
        state = self.folder("state")
        conf = self.path("rsyslog.conf")
        conf.write_text(
            RECEIVER.format(
                state=state,
                host=HOST,
                ca=self.info["ca_file"],
                cert=self.info["cert_file"],
                key=self.info["key_file"],
                tcp_log=self.log("tcp", "received-tcp.jsonl"),
                tls_log=self.log("tls", "received-tls.jsonl"),
                tcp_port=self.path("tcp.port"),
                tls_port=self.path("tls.port"),
            )  # fmt: skip
        )
        for name in ("tcp", "tls"):
            self.path(f"{name}.port").unlink(missing_ok=True)
        run(["rsyslogd", "-N1", "-f", str(conf)], "rsyslogd -N1 (receiver)")

    def launch(self) -> None:
        argv = ["rsyslogd", "-n", "-f", str(self.path("rsyslog.conf"))]
        self.spawn([*argv, "-i", str(self.path("rsyslogd.pid"))], "rsyslogd")

    def ready(self) -> bool:
        from . import probes

        for name in ("tcp", "tls"):
            text = self.path(f"{name}.port").read_text().strip()
            if not text:
                return False
            self.ports[name] = int(text)
        return all(probes.tcp_accepts(HOST, self.ports[n]) for n in ("tcp", "tls"))

    def received(self, name: str) -> list[str]:
        """The messages the `name` listener has written so far."""
        path = Path(self.logs[name])
        return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


HOST_SYSLOG = """global(workDirectory="{state}" maxMessageSize="256k")
module(load="imuxsock" SysSock.Use="off")
module(load="mmpstrucdata")
module(load="imudp")
input(type="imudp" address="{host}" port="{udp_port}" ruleset="udp")
input(type="imuxsock" Socket="{socket}" CreatePath="on" ruleset="host")
input(type="imuxsock" Socket="{sd_socket}" CreatePath="on" useSpecialParser="off"
      parseHostname="on" ruleset="structured")
template(name="opsbundles_raw" type="string" string="%rawmsg%\\n")
template(name="opsbundles_twin" type="list" option.jsonf="on") {{
    property(outname="timereported" name="timereported" dateFormat="rfc3339" format="jsonf")
    property(outname="hostname" name="hostname" format="jsonf")
    property(outname="programname" name="programname" format="jsonf")
    property(outname="procid" name="procid" format="jsonf")
    property(outname="msg" name="msg" format="jsonf")
}}
template(name="opsbundles_sd" type="string" string="%$!rfc5424-sd%\\n")
ruleset(name="host") {{
    action(type="omfile" file="{raw}" template="opsbundles_raw")
    if $programname startswith "haproxy" then {{
        action(type="omfile" file="{haproxy}")
        action(type="omfile" file="{haproxy_twin}" template="opsbundles_twin")
        stop
    }}
    action(type="omfile" file="{syslog}")
}}
ruleset(name="udp") {{
    action(type="omfile" file="{udp_raw}" template="opsbundles_raw")
}}
ruleset(name="structured") {{
    action(type="mmpstrucdata")
    action(type="omfile" file="{structured}" template="opsbundles_sd")
}}
"""


class HostSyslog(Daemon):
    kind = "host-syslog"
    start_timeout = 30.0

    def prepare(self) -> None:
        self.info["socket"] = str(self.path("run", "log.sock"))
        self.info["sd_socket"] = str(self.path("run", "sd.sock"))
        self.info["udp_port"] = self.port("udp")
        conf = self.path("rsyslog.conf")
        conf.write_text(
            HOST_SYSLOG.format(
                state=self.folder("state"),
                socket=self.info["socket"],
                sd_socket=self.info["sd_socket"],
                host=HOST,
                udp_port=self.info["udp_port"],
                udp_raw=self.log("udp_raw", "udp-raw.log"),
                structured=self.log("structured", "structured.jsonl"),
                raw=self.log("raw", "raw.log"),
                haproxy=self.log("haproxy", "haproxy.log"),
                haproxy_twin=self.log("haproxy_twin", "haproxy.twin.jsonl"),
                syslog=self.log("syslog", "syslog"),
            )
        )
        run(["rsyslogd", "-N1", "-f", str(conf)], "rsyslogd -N1 (host syslog)")

    def launch(self) -> None:
        self.path("rsyslogd.pid").unlink(missing_ok=True)
        argv = ["rsyslogd", "-n", "-f", str(self.path("rsyslog.conf"))]
        self.spawn([*argv, "-i", str(self.path("rsyslogd.pid"))], "rsyslogd")

    def ready(self) -> bool:
        sockets = (self.info["socket"], self.info["sd_socket"])
        return self.path("rsyslogd.pid").exists() and all(Path(s).exists() for s in sockets)


class RsyslogForwarder(Daemon):
    kind = "rsyslog-forwarder"
    start_timeout = 30.0

    def launch(self) -> None:
        self.path("rsyslogd.pid").unlink(missing_ok=True)
        argv = ["rsyslogd", "-n", "-f", self.options["config"]]
        self.spawn([*argv, "-i", str(self.path("rsyslogd.pid"))], "rsyslogd")

    def ready(self) -> bool:
        return self.path("rsyslogd.pid").exists()
