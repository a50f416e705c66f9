"""Read escaped values back with the program that reads them in production.

For each escape filter, `read(filter, values, workdir)` writes every value
through the filter into one file of that language, runs the real engine once
on all of them, and returns the strings the engine holds. An escape is right
when each comes back exactly as given, and no marker file appeared.

What is real and what is emulated (the engine cannot run here, or holds the
value where we cannot see it), per filter:

    rsyslog_str        real: rsyslogd runs, imfile reads one line, omfile writes the values
    nagios_value       real: nagios4 -vp, values read from its object precache
    nagios_shell       real: nagios4 -vp stores the command_line; `$$` is nagios's macro
                       pass (emulated), then /bin/sh runs it
    nagios_resource    real /bin/sh on the '$USERn$' word nagios builds (substitution emulated)
    nagios_arg         emulated: split at unescaped `!`, then the macro pass
    icinga2_str        real: icinga2 daemon -C, values read from its object dump; `$$`
                       is its runtime macro pass (emulated)
    shell_sq           real: /bin/sh
    yaml_str           real: PyYAML (openstacksdk's and our reader)
    json_str           real: Python's json
    mycnf_value        real: my_print_defaults (MariaDB's option reader)
    ini_value          real: oslo.config (Debian's python3-oslo.config)
    envfile_str        real /bin/sh with the POSIX double-quote rules systemd.exec(5) names
    rpm_value          real: rpmspec -q --queryformat on a spec of one package per value
    make_value         real: make, $(info $(V))
    make_shell         real: make runs the recipe line through /bin/sh
    deb_control_value  real: dpkg's Dpkg::Control and Dpkg::Substvars (perl)
    fluentd_str        emulated: the single-quoted rule of fluentd's literal_parser.rb
    logstash_str       emulated: grammar.treetop's strings, config.support_escapes off
    splunk_value       emulated: a .conf value to the end of the line
    systemd_exec_arg   emulated: systemd's unquoting of one Exec word
    systemd_env        emulated: systemd's unquoting of one Environment= word
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from ..escape import filters

REAL, EMULATED = "real", "emulated"
READERS: dict[str, tuple[Callable, str, str]] = {}
TIMEOUT = 60


class ReadbackError(Exception):
    """The engine refused the file (the escape broke its syntax)."""


def reader(name: str, kind: str, engine: str):
    def register(fn):
        READERS[name] = (fn, kind, engine)
        return fn

    return register


def read(name: str, values: list[str], workdir: Path) -> list[str]:
    fn, _, _ = READERS[name]
    workdir.mkdir(parents=True, exist_ok=True)
    return fn([filters()[name](v) for v in values], workdir)


def _run(argv, **kw) -> subprocess.CompletedProcess:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT, check=False, **kw)
    if done.returncode != 0:
        raise ReadbackError(f"{argv[0]} exited {done.returncode}: {done.stderr[-2000:]}")
    return done


def _lines(text: str, n: int) -> list[str]:
    lines = text.split("\n")
    if len(lines) < n:
        raise ReadbackError(f"expected {n} values back, got {len(lines)}")
    return lines[:n]


@reader("rsyslog_str", REAL, "rsyslogd")
def _rsyslog(escaped, work):
    src, out, pid = work / "in.log", work / "out.log", work / "rsyslogd.pid"
    src.write_text("go\n", encoding="utf-8")
    props = " ".join(f'property(name="$.v{i}") constant(value="\\n")' for i in range(len(escaped)))
    sets = "\n".join(f"    set $.v{i} = {e};" for i, e in enumerate(escaped))
    conf = work / "rsyslog.conf"
    conf.write_text(
        f'global(workDirectory="{work}")\n'
        'module(load="imfile")\n'
        f'template(name="opsbundles_readback" type="list") {{ {props} }}\n'
        f'input(type="imfile" File="{src}" Tag="readback" Ruleset="readback")\n'
        'ruleset(name="readback") {\n'
        f"{sets}\n"
        f'    action(type="omfile" file="{out}" template="opsbundles_readback")\n'
        "}\n",
        encoding="utf-8",
    )
    _run(["rsyslogd", "-N1", "-f", str(conf)])
    proc = subprocess.Popen(
        ["rsyslogd", "-n", "-f", str(conf), "-i", str(pid)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            if out.is_file() and out.read_text(encoding="utf-8").count("\n") >= len(escaped):
                break
            if proc.poll() is not None:
                raise ReadbackError(f"rsyslogd stopped: {proc.stderr.read()[-2000:]}")
            time.sleep(0.05)
        else:
            raise ReadbackError("rsyslogd wrote nothing in time")
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    return _lines(out.read_text(encoding="utf-8"), len(escaped))


def nagios_precache(objects: str, work: Path) -> dict[tuple[str, str], dict]:
    """nagios4 -vp on `objects`; the precached objects by (kind, name)."""
    import grp
    import pwd

    (work / "objects.cfg").write_text(objects, encoding="utf-8")
    (work / "results").mkdir(exist_ok=True)
    main = work / "nagios.cfg"
    main.write_text(
        f"cfg_file={work / 'objects.cfg'}\ncheck_result_path={work / 'results'}\n"
        f"precached_object_file={work / 'objects.precache'}\n"
        f"nagios_user={pwd.getpwuid(os.getuid()).pw_name}\n"
        f"nagios_group={grp.getgrgid(os.getgid()).gr_name}\n",
        encoding="utf-8",
    )
    _run(["nagios4", "-vp", str(main)])
    found = {}
    text = (work / "objects.precache").read_text(encoding="utf-8")
    for kind, body in re.findall(r"^define (\w+) \{\n(.*?)\n\t\}", text, re.S | re.M):
        attrs = dict(line.strip("\t").split("\t", 1) for line in body.split("\n") if "\t" in line)
        found[(kind, attrs.get(f"{kind}_name", ""))] = attrs
    return found


_NAGIOS_BASE = """define timeperiod {
    timeperiod_name opsbundles-readback
    alias Always
    monday 00:00-24:00
}
define command {
    command_name opsbundles-readback-notify
    command_line /bin/true
}
define host {
    host_name opsbundles-readback
    address 127.0.0.1
    max_check_attempts 1
    check_period opsbundles-readback
    contacts opsbundles-readback
    notification_period opsbundles-readback
    notification_interval 0
}
define service {
    host_name opsbundles-readback
    service_description opsbundles-readback
    check_command opsbundles-readback-notify
    max_check_attempts 1
    check_interval 5
    retry_interval 1
    check_period opsbundles-readback
    notification_period opsbundles-readback
    contacts opsbundles-readback
    notification_interval 0
}
"""


def _nagios_contact(name: str, alias: str) -> str:
    return f"""define contact {{
    contact_name {name}
    alias {alias}
    service_notification_period opsbundles-readback
    host_notification_period opsbundles-readback
    service_notification_options n
    host_notification_options n
    service_notification_commands opsbundles-readback-notify
    host_notification_commands opsbundles-readback-notify
}}
"""


@reader("nagios_value", REAL, "nagios4 -vp")
def _nagios_value(escaped, work):
    contacts = "".join(_nagios_contact(f"c{i}", e) for i, e in enumerate(escaped))
    objects = _NAGIOS_BASE + _nagios_contact("opsbundles-readback", "x") + contacts
    found = nagios_precache(objects, work)
    return [found[("contact", f"c{i}")]["alias"] for i in range(len(escaped))]


def _sh_printf(words: list[str]) -> list[str]:
    script = "printf '%s\\n' " + " ".join(words)
    return _lines(_run(["/bin/sh", "-c", script]).stdout, len(words))


@reader("nagios_shell", REAL, "nagios4 -vp, /bin/sh")
def _nagios_shell(escaped, work):
    commands = "".join(
        f"define command {{\n    command_name r{i}\n"
        f"    command_line /usr/bin/printf '%s\\n' {e}\n}}\n"
        for i, e in enumerate(escaped)
    )
    found = nagios_precache(
        _NAGIOS_BASE + commands + _nagios_contact("opsbundles-readback", "x"), work
    )
    script = "\n".join(
        found[("command", f"r{i}")]["command_line"].replace("$$", "$") for i in range(len(escaped))
    )
    return _lines(_run(["/bin/sh", "-c", script]).stdout, len(escaped))


@reader("nagios_resource", REAL, "/bin/sh")
def _nagios_resource(escaped, work):
    return _sh_printf([f"'{e}'" for e in escaped])


@reader("nagios_arg", EMULATED, "nagios argument split")
def _nagios_arg(escaped, work):
    out = []
    for e in escaped:
        parts = re.split(r"(?<!\\)!", "cmd!" + e.replace("\\;", ";"))
        if len(parts) != 2:
            raise ReadbackError(f"{e!r} splits into {len(parts) - 1} arguments")
        out.append(re.sub(r"\\(.)", r"\1", parts[1]).replace("$$", "$"))
    return out


@reader("icinga2_str", REAL, "icinga2 daemon -C")
def _icinga2(escaped, work):
    from ..engines import icinga2

    conf = work / "readback.conf"
    body = "".join(f"  vars.v{i} = {e}\n" for i, e in enumerate(escaped))
    conf.write_text(
        f'object CheckCommand "opsbundles-readback" {{\n  command = [ "/bin/true" ]\n{body}}}\n',
        encoding="utf-8",
    )
    done = icinga2.validate(work, [conf])
    if done.returncode != 0:
        raise ReadbackError(f"icinga2 daemon -C: {(done.stdout + done.stderr)[-2000:]}")
    for obj in icinga2.objects(work):
        if obj.get("name") == "opsbundles-readback":
            stored = obj["properties"]["vars"]
            return [stored[f"v{i}"].replace("$$", "$") for i in range(len(escaped))]
    raise ReadbackError("icinga2 built no object opsbundles-readback")


@reader("shell_sq", REAL, "/bin/sh")
def _shell(escaped, work):
    return _sh_printf(escaped)


@reader("yaml_str", REAL, "PyYAML")
def _yaml(escaped, work):
    import yaml

    text = "".join(f"v{i}: {e}\n" for i, e in enumerate(escaped))
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ReadbackError(f"PyYAML: {exc}") from None
    return [data[f"v{i}"] for i in range(len(escaped))]


@reader("json_str", REAL, "json")
def _json(escaped, work):
    try:
        return json.loads("[" + ",".join(escaped) + "]")
    except ValueError as exc:
        raise ReadbackError(f"json: {exc}") from None


@reader("mycnf_value", REAL, "my_print_defaults")
def _mycnf(escaped, work):
    conf = work / "my.cnf"
    conf.write_text(
        "[client]\n" + "".join(f"v{i}={e}\n" for i, e in enumerate(escaped)), encoding="utf-8"
    )
    got = _run(["my_print_defaults", f"--defaults-file={conf}", "client"]).stdout
    values = dict(line[2:].split("=", 1) for line in got.split("\n") if line.startswith("--v"))
    return [values.get(f"v{i}") for i in range(len(escaped))]


@reader("ini_value", REAL, "oslo.config")
def _ini(escaped, work):
    conf = work / "oslo.conf"
    conf.write_text(
        "[DEFAULT]\n" + "".join(f"v{i} = {e}\n" for i, e in enumerate(escaped)), encoding="utf-8"
    )
    script = (
        "import json, sys\n"
        "from oslo_config import cfg\n"
        "c = cfg.ConfigOpts()\n"
        f"c.register_opts([cfg.StrOpt('v%d' % i) for i in range({len(escaped)})])\n"
        "c(['--config-file', sys.argv[1]])\n"
        f"print(json.dumps([getattr(c, 'v%d' % i) for i in range({len(escaped)})]))\n"
    )
    return json.loads(_run(["/usr/bin/python3", "-c", script, str(conf)]).stdout)


@reader("envfile_str", REAL, "/bin/sh (systemd.exec(5)'s double-quote rules)")
def _envfile(escaped, work):
    script = "".join(f"v{i}={e}\nprintf '%s\\n' \"$v{i}\"\n" for i, e in enumerate(escaped))
    return _lines(_run(["/bin/sh", "-c", script]).stdout, len(escaped))


@reader("rpm_value", REAL, "rpmspec -q")
def _rpm(escaped, work):
    spec = work / "readback.spec"
    head = "Name: readback\nVersion: 1\nRelease: 1\nLicense: none\nSummary: x\n\n%description\nx\n"
    subs = "".join(
        f"\n%package -n readback-v{i}\nSummary: {e}\n\n%description -n readback-v{i}\nx\n"
        for i, e in enumerate(escaped)
    )
    spec.write_text(head + subs, encoding="utf-8")
    got = _run(
        ["rpmspec", "-q", "--queryformat", "%{NAME}\\t%{SUMMARY}\\n", str(spec)],
        env={**os.environ, "HOME": str(work)},
    ).stdout
    values = dict(line.split("\t", 1) for line in got.split("\n") if "\t" in line)
    return [values.get(f"readback-v{i}") for i in range(len(escaped))]


@reader("make_value", REAL, "make")
def _make(escaped, work):
    mk = work / "Makefile"
    assigns = "".join(f"V{i} := {e}\n" for i, e in enumerate(escaped))
    infos = "".join(f"$(info $(V{i}))\n" for i in range(len(escaped)))
    mk.write_text(assigns + infos + "all: ;\n", encoding="utf-8")
    return _lines(_run(["make", "-s", "-f", str(mk), "-C", str(work)]).stdout, len(escaped))


@reader("make_shell", REAL, "make, /bin/sh")
def _make_shell(escaped, work):
    mk = work / "Makefile"
    recipe = "".join(f"\t@printf '%s\\n' {e}\n" for e in escaped)
    mk.write_text("all:\n" + recipe, encoding="utf-8")
    return _lines(_run(["make", "-s", "-f", str(mk), "-C", str(work)]).stdout, len(escaped))


@reader("deb_control_value", REAL, "Dpkg::Control->apply_substvars (dpkg-gencontrol's step)")
def _deb_control(escaped, work):
    control = work / "control"
    control.write_text("".join(f"V{i}: {e}\n" for i, e in enumerate(escaped)), encoding="utf-8")
    script = (
        "use Dpkg::Control; use Dpkg::Substvars;"
        "my $c = Dpkg::Control->new(type => CTRL_UNKNOWN); $c->load($ARGV[0]);"
        "$c->apply_substvars(Dpkg::Substvars->new());"
        f'for my $i (0..{len(escaped) - 1}) {{ print $c->{{"V$i"}}, "\\n" }}'
    )
    return _lines(_run(["perl", "-e", script, str(control)]).stdout, len(escaped))


@reader("fluentd_str", EMULATED, "fluentd literal_parser.rb rules")
def _fluentd(escaped, work):
    out = []
    for e in escaped:
        if not (e.startswith("'") and e.endswith("'")):
            raise ReadbackError(f"{e!r} is not single-quoted")
        body, value, i = e[1:], [], 0
        while True:
            if i >= len(body):
                raise ReadbackError(f"{e!r}: unterminated")
            if body[i] == "'":
                if i != len(body) - 1:
                    raise ReadbackError(f"{e!r}: text after the closing quote")
                break
            if body.startswith("\\'", i) or body.startswith("\\\\", i):
                value.append(body[i + 1])
                i += 2
                continue
            value.append(body[i])
            i += 1
        out.append("".join(value))
    return out


@reader("logstash_str", EMULATED, "logstash grammar.treetop rules")
def _logstash(escaped, work):
    out = []
    for e in escaped:
        quote = e[:1]
        if quote not in ("'", '"') or len(e) < 2 or e[-1] != quote:
            raise ReadbackError(f"{e!r} is not a logstash string")
        body = e[1:-1]
        # the string ends at the first quote not preceded by a backslash
        end = re.search(rf"(?<!\\){quote}", body + quote)
        if end.start() != len(body) or "${" in body:
            raise ReadbackError(f"{e!r} ends early or substitutes the environment")
        out.append(body)
    return out


@reader("splunk_value", EMULATED, "splunk .conf value rules")
def _splunk(escaped, work):
    for e in escaped:
        if e.endswith("\\") or e != e.strip():
            raise ReadbackError(f"{e!r} would continue the line or lose spaces")
    return list(escaped)


def _systemd_unquote(word: str) -> str:
    if not (word.startswith('"') and word.endswith('"')):
        raise ReadbackError(f"{word!r} is not one quoted word")
    body = word[1:-1]
    out, i = [], 0
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            out.append(body[i + 1])
            i += 2
            continue
        if ch == '"':
            raise ReadbackError(f"{word!r} ends early")
        out.append(ch)
        i += 1
    return "".join(out).replace("%%", "%")


@reader("systemd_exec_arg", EMULATED, "systemd Exec word rules")
def _systemd_exec(escaped, work):
    return [_systemd_unquote(e).replace("$$", "$") for e in escaped]


@reader("systemd_env", EMULATED, "systemd Environment= word rules")
def _systemd_env(escaped, work):
    return [_systemd_unquote(e) for e in escaped]


def available(name: str) -> bool:
    """Whether the engine a real reader runs is installed."""
    _, kind, engine = READERS[name]
    if kind == EMULATED:
        return True
    binaries = {
        "rsyslog_str": "rsyslogd",
        "nagios_value": "nagios4",
        "nagios_shell": "nagios4",
        "icinga2_str": "icinga2",
        "mycnf_value": "my_print_defaults",
        "ini_value": "/usr/bin/python3",
        "rpm_value": "rpmspec",
        "make_value": "make",
        "make_shell": "make",
        "deb_control_value": "perl",
    }
    binary = binaries.get(name)
    return binary is None or shutil.which(binary) is not None
