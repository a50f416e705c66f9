"""Conformance of render-index/v1: every shipped bundle's index, proven.

render-index/v1 is implemented by the renderer for every tool bundle, so this
suite runs on every tool bundle (EVERY_TOOL_BUNDLE) that has files. Each is rendered
through `render.render` with its samples (defaults, examples) and a marker
value per secret, then (interfaces/render-index/v1/README.md, "What is
checked"):

- "index schema": the document against schema.json;
- "file facts": sha256, size and mode against the written files, managed
  against the files, parents against dest;
- "secrets by name": each secret's marker is in exactly the files that list
  it, and never in index.json;
- "validate": each file's validate command passes on the file and fails on a
  broken copy;
- "installed check": in a private mount namespace whose /etc is an overlay of
  this machine's (Debian's stock main configurations; promtool's unpacked
  package adds /etc/prometheus), the files are placed with their owner and
  mode and the edits applied (with the collection's own edit filter): every
  edit's validate passes on the edited main file, every service check passes
  over the installed configuration and fails once one of the files it covers
  is broken;
- "service unit": every service an action names has a systemd unit of that
  name from its Debian package.

Every command run here comes from interfaces/render-index/v1/commands.yaml,
never from a bundle. Root (or a user namespace) is needed for the mounts.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shlex
import subprocess
import tempfile
from pathlib import Path

from .. import engines
from ..debian_archive import stanzas
from ..render import RenderError, render
from ..render_index import INTERFACE
from ..values import ValuesError
from .result import Result

BROKEN = "\nopsbundles-broken-line ]] {{ ;\n"
MARKER = "opsbundlesSecretMarker{}"
UNIT_DIRS = ("lib/systemd/system", "usr/lib/systemd/system")
# engines tools/setup.sh unpacks from Debian's packages (promtool, amtool): the
# package's own /etc and units come from the tree the binary lies in
UNPACKED = ("promtool",)
TIMEOUT = 120


EVERY_TOOL_BUNDLE = True


def bundles(ctx, names: set[str] | None = None) -> list:
    """The bundles this suite proves: every tool bundle with files."""
    found = []
    for ref in sorted(ctx.bundle_dirs):
        bundle = ctx.bundle(ref)
        if bundle is None or bundle.manifest is None or bundle.is_stack or not bundle.files():
            continue
        if not names or ref in names:
            found.append(bundle)
    return found


def run(ctx, bundles_) -> list[Result]:
    import jsonschema  # only this suite needs it

    schema = json.loads((ctx.root / "interfaces" / INTERFACE / "schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    edit_filter = _edit_filter(ctx.root)
    results: list[Result] = []
    for bundle in (b for b in bundles_ if b.files()):
        with tempfile.TemporaryDirectory(prefix="opsbundle-index-") as tmp:
            work = Path(tmp)
            out = work / "out"
            secrets = {
                k: MARKER.format(k) for k, v in bundle.parameters().items() if v.get("secret")
            }
            layer = {bundle.ref: {**bundle.sample_values(), **secrets}}
            try:
                doc = render(ctx.root, bundle.ref, out, [("samples", layer)])
            except (RenderError, ValuesError) as exc:
                results.append(Result(bundle.ref, "index schema", "render", False, str(exc)))
                continue
            add = _adder(results, bundle.ref)
            errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
            add("index schema", "schema.json", not errors, "; ".join(e.message for e in errors))
            _facts(add, doc, out)
            _secrets(add, doc, out, secrets)
            _validates(add, doc, out, work)
            _installed(add, doc, out, work, edit_filter)
            _units(add, doc)
    return results


def _adder(results, ref):
    def add(kind, case, ok, detail=""):
        results.append(Result(ref, kind, case, bool(ok), "" if ok else detail))

    return add


def _edit_filter(root: Path):
    """The Ansible collection's edit filter: the one implementation of the
    edit rules, which the role applies on hosts."""
    rel = "ansible/opsbundles/deploy/plugins/filter/edits.py"
    path = root / rel
    if not path.is_file():  # a repository without the collection: this checkout's
        path = Path(__file__).resolve().parents[3] / rel
    spec = importlib.util.spec_from_file_location("opsbundles_deploy_edits", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.opsbundles_edit


def _facts(add, doc, out: Path) -> None:
    for f in doc["files"]:
        path = out / f["source"]
        data = path.read_bytes() if path.is_file() else b""
        mode = f"0{path.stat().st_mode & 0o777:o}" if path.is_file() else "missing"
        problems = []
        if hashlib.sha256(data).hexdigest() != f["sha256"] or len(data) != f["size"]:
            problems.append("sha256/size differ from the written file")
        if mode != f["mode"]:
            problems.append(f"written with mode {mode}, index says {f['mode']}")
        chain = [p["path"] for p in f["parents"]]
        expected = []
        here = os.path.dirname(f["dest"])
        while here != "/":
            expected.insert(0, here)
            here = os.path.dirname(here)
        if chain != expected:
            problems.append(f"parents {chain} are not the ancestors of {f['dest']}")
        add("file facts", f["dest"], not problems, "; ".join(problems))
    dests = sorted({f["dest"] for f in doc["files"]})
    add("file facts", "managed set", doc["managed"] == dests, f"{doc['managed']} != {dests}")


def _secrets(add, doc, out: Path, secrets: dict) -> None:
    index_text = (out / "index.json").read_text(encoding="utf-8")
    for name, marker in sorted(secrets.items()):
        holding = sorted(
            f["dest"] for f in doc["files"] if marker in (out / f["source"]).read_text("utf-8")
        )
        listed = sorted(f["dest"] for f in doc["files"] if name in f["secrets"])
        ok = holding == listed and marker not in index_text
        detail = f"files holding it {holding}, files listing it {listed}"
        if marker in index_text:
            detail += "; the value is in index.json"
        add("secrets by name", name, ok, detail)


def _run(argv: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": engines.search_path()}
    try:
        return subprocess.run(
            argv, capture_output=True, text=True, timeout=TIMEOUT, env=env, cwd=cwd, check=False
        )
    except FileNotFoundError as exc:
        return subprocess.CompletedProcess(argv, 127, "", f"{exc.filename}: not installed")
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(argv, 124, "", f"timed out after {TIMEOUT} s")


def _tail(done) -> str:
    text = (done.stdout + done.stderr).strip().splitlines()
    return f"exit {done.returncode}: " + " | ".join(text[-4:])


def _validates(add, doc, out: Path, work: Path) -> None:
    for f in doc["files"]:
        if not f["validate"]:
            continue
        command = f["validate"]["command"]
        good = out / f["source"]
        done = _run(shlex.split(command % good))
        add(
            "validate", f"{f['validate']['name']} on {f['dest']}", done.returncode == 0, _tail(done)
        )
        broken = work / ("broken-" + good.name)
        broken.write_bytes(good.read_bytes() + BROKEN.encode())
        done = _run(shlex.split(command % broken))
        add(
            "validate",
            f"{f['validate']['name']} refuses a broken {os.path.basename(f['dest'])}",
            done.returncode != 0,
            "the broken copy passed",
        )


def _owner(name: str, kind: str) -> str:
    """The owner or group to give a placed file: itself where this machine
    has it, else root (the check then reads it as root)."""
    import grp
    import pwd

    try:
        (pwd.getpwnam if kind == "user" else grp.getgrnam)(name)
        return name
    except KeyError:
        return "root"


def _installed(add, doc, out: Path, work: Path, edit_filter) -> None:
    """Files at their dest, edits applied, checks run, in a mount namespace."""
    etc_files = [f for f in doc["files"] if f["dest"].startswith("/etc/")]
    checks = {}
    for f in etc_files:
        for action in f["actions"]:
            if action.get("check"):
                checks.setdefault(action["check"]["command"], []).append(f)
    edits = [(f, e) for f in etc_files for e in f["edits"] if e["file"].startswith("/etc/")]
    if not checks and not edits:
        return
    lowers = [str(p / "etc") for p in _unpacked() if (p / "etc").is_dir()] + ["/etc"]
    staged = work / "staged"
    staged.mkdir()
    lines = ["set -u"]
    # /etc from this machine and the stock packages; /var so that the tools'
    # caches and spool folders (icinga2, nagios4) are written nowhere real
    for top, lower in (("etc", ":".join(lowers)), ("var", "/var")):
        for sub in ("up", "wk"):
            (work / f"{top}-{sub}").mkdir()
        lines.append(
            f"mount -t overlay overlay -o lowerdir={lower},upperdir={work}/{top}-up,"
            f"workdir={work}/{top}-wk /{top} || exit 90"
        )
    for f in etc_files:
        owner, group = _owner(f["owner"], "user"), _owner(f["group"], "group")
        for p in f["parents"]:
            if p["owned"]:
                lines.append(
                    f"install -d -m {p['mode']} -o {_owner(p['owner'], 'user')} "
                    f"-g {_owner(p['group'], 'group')} {shlex.quote(p['path'])}"
                )
            else:
                lines.append(f"mkdir -p {shlex.quote(p['path'])}")
        lines.append(
            f"install -m {f['mode']} -o {owner} -g {group} "
            f"{shlex.quote(str(out / f['source']))} {shlex.quote(f['dest'])}"
        )
    results = work / "results"
    results.mkdir()
    cases: list[tuple[str, str, str, bool]] = []  # (kind, case, tag, must pass)
    for n, (_, edit) in enumerate(edits):
        stock = _stock(lowers, edit["file"])
        if stock is None and not edit["create"]:
            add("installed check", f"edit {edit['file']}", False, "not on this machine")
            continue
        try:
            text = edit_filter(stock or "", edit)
        except ValueError as exc:
            add("installed check", f"edit {edit['file']}", False, str(exc))
            continue
        again = edit_filter(text, edit)
        add("installed check", f"edit {edit['file']} applies once", again == text, "not idempotent")
        # the edited main file goes in place: later edits of it build on it
        copy = staged / f"edit-{n}"
        copy.write_text(text, encoding="utf-8")
        lines.append(f"mkdir -p {shlex.quote(os.path.dirname(edit['file']))}")
        lines.append(f"cat {shlex.quote(str(copy))} > {shlex.quote(edit['file'])}")
        if edit["validate"]:
            tag = f"edit-validate-{n}"
            lines.append(_capture(tag, shlex.split(edit["validate"]["command"] % edit["file"])))
            cases.append(
                (
                    "installed check",
                    f"{edit['validate']['name']} on edited {edit['file']}",
                    tag,
                    True,
                )
            )
    placed = {f["dest"] for f in etc_files} | {e["file"] for _, e in edits}
    for n, (command, covered) in enumerate(sorted(checks.items())):
        tag = f"check-{n}"
        lines.append(_capture(tag, shlex.split(command)))
        cases.append(("installed check", f"{command}", tag, True))
        # break the file the check reads: the one it names (an edited main
        # configuration, e.g. amtool's alertmanager.yml), else the bundle's own
        named = [a for a in shlex.split(command) if a in placed]
        victim = named[0] if named else covered[0]["dest"]
        lines.append(f"cp {shlex.quote(victim)} {shlex.quote(str(staged))}/saved-{n}")
        lines.append(f"printf '%s' {shlex.quote(BROKEN)} >> {shlex.quote(victim)}")
        lines.append(_capture(tag + "-broken", shlex.split(command)))
        lines.append(f"cp {shlex.quote(str(staged))}/saved-{n} {shlex.quote(victim)}")
        cases.append(
            ("installed check", f"{command} refuses a broken {victim}", tag + "-broken", False)
        )
    script = work / "installed.sh"
    script.write_text("\n".join(lines).replace("@RESULTS@", str(results)) + "\n")
    unshare = ["unshare", "-m"] if os.geteuid() == 0 else ["unshare", "-Urm"]
    done = _run([*unshare, "sh", str(script)])
    if done.returncode == 90 or not any(results.iterdir()) and cases:
        for kind, case, _, _ in cases:
            add(kind, case, False, "could not set up the mount namespace: " + _tail(done))
        return
    for kind, case, tag, must_pass in cases:
        rc_file = results / f"{tag}.rc"
        rc = int(rc_file.read_text()) if rc_file.is_file() else -1
        output = (results / f"{tag}.out").read_text(errors="replace") if rc_file.is_file() else ""
        ok = rc == 0 if must_pass else rc not in (0, -1)
        add(kind, case, ok, f"exit {rc}: " + " | ".join(output.strip().splitlines()[-4:]))


def _capture(tag: str, argv: list[str]) -> str:
    return (
        f"PATH={shlex.quote(engines.search_path())} {shlex.join(argv)} "
        f"> @RESULTS@/{tag}.out 2>&1; echo $? > @RESULTS@/{tag}.rc"
    )


def _unpacked() -> list[Path]:
    """Roots of the Debian packages unpacked outside / (…/usr/bin/promtool)."""
    roots = []
    for binary in UNPACKED:
        found = engines.which(binary)
        if found:
            top = Path(found).resolve().parents[2]
            if top != Path("/") and top not in roots:
                roots.append(top)
    return roots


def _stock(lowers: list[str], path: str) -> str | None:
    """The main file as Debian's package installs it (topmost lower wins)."""
    rel = path[len("/etc/") :]
    for lower in lowers:
        candidate = Path(lower) / rel
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8", errors="replace")
    return None


def _units(add, doc) -> None:
    """A unit for every service the actions name, where Debian packages it
    (one that Debian has is then expected from its package: tools/setup.sh
    installs the ones our bundles name)."""
    services = sorted(
        {a["service"] for f in doc["files"] for a in f["actions"] if a.get("service")}
    )
    bases = [Path("/"), *_unpacked()]
    debian = stanzas(services)
    for service in services:
        found = [b / d / f"{service}.service" for b in bases for d in UNIT_DIRS]
        if any(p.is_file() for p in found):
            add("service unit", service, True)
        elif debian[service]:
            add("service unit", service, False, f"no {service}.service although Debian has it")
        # else: not packaged by Debian; interfaces/render-index/v1/README.md names them
