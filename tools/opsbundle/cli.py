"""The `opsbundle` command: arguments in, report out. No rules live here.

Exit codes: 0 clean, 1 findings (or a render/scaffold refused for a reason it
prints), 2 usage or environment error (no repository, unknown git ref, ...).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import signal
import sys
import threading
from pathlib import Path

from . import __version__, repo
from .terminal import printable

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


ROOT_ENV = "OPSBUNDLES_ROOT"


def _root(args) -> Path:
    given = args.root or os.environ.get(ROOT_ENV)
    return repo.check_root(Path(given)) if given else repo.find_root()


def cmd_validate(args) -> int:
    from .validate import Options, run

    report = run(
        _root(args),
        Options(
            names=args.paths,
            changed_since=None if args.changed_since is None else repo.base_ref(args.changed_since),
            jobs=args.jobs,
            cache=not args.no_cache,
            native=not args.no_native,
            require_native=args.require_native,
        ),
    )
    out = {"text": report.as_text, "json": report.as_json, "junit": report.as_junit}
    print(out[args.format]())
    return EXIT_FINDINGS if report.failed(args.warnings_as_errors) else EXIT_OK


def _summaries(root: Path) -> list[dict]:
    from .bundle import load_bundle

    rows = []
    for bdir in repo.discover(root):
        b = load_bundle(root, bdir)
        domain = b.text("domain") if b.text("domain") in repo.DOMAINS else bdir.ref.split("/")[0]
        rows.append(
            {
                "ref": b.ref,
                "kind": "stack" if b.is_stack else "tool",
                "domain": "stack" if b.is_stack else domain,
                "version": b.text("version"),
                "summary": b.text("summary") or ("(manifest unreadable)" if not b.manifest else ""),
                "tool": b.tool().get("name") if isinstance(b.tool().get("name"), str) else None,
                "implements": sorted(str(k) for k in b.implements()),
                "services": b.words("services"),
                "members": [
                    m["bundle"] for _, m in b.members() if isinstance(m.get("bundle"), str)
                ],
                "deprecated": bool(b.data.get("deprecated")),
            }
        )
    return rows


def cmd_list(args) -> int:
    rows = _summaries(_root(args))
    if args.domain:
        rows = [r for r in rows if r["domain"] == args.domain]
    if args.implements:
        rows = [
            r
            for r in rows
            if args.implements in r["implements"]
            or any(i.split("/")[0] == args.implements for i in r["implements"])
        ]
    if args.service:
        rows = [r for r in rows if args.service in r["services"]]
    if args.format == "json":
        print(json.dumps(rows, indent=2))
        return EXIT_OK
    if not rows:
        print("no bundles match", file=sys.stderr)
        return EXIT_OK
    width = max(len(r["ref"]) for r in rows)
    for r in rows:
        tag = " [deprecated]" if r["deprecated"] else ""
        impl = ",".join(r["implements"] or r["members"]) or "-"
        line = f"{r['ref']:<{width}}  {r['version'] or '?':<9} {impl:<28} {r['summary']}{tag}"
        print(printable(line))
    return EXIT_OK


def _shown_parameters(b) -> dict:
    params = {}
    for name, spec in b.parameters().items():
        shown = dict(spec)
        if spec.get("secret"):
            shown.pop("default", None)
            shown.pop("example", None)
        params[name] = shown
    return params


def cmd_show(args) -> int:
    from .bundle import load_bundle

    root = _root(args)
    (bdir,) = repo.select(root, repo.discover(root), [args.name])
    b = load_bundle(root, bdir)
    if b.manifest is None:
        for f in b.load_findings:
            print(f.as_text(), file=sys.stderr)
        return EXIT_FINDINGS
    params = _shown_parameters(b)
    if args.format == "json":
        info = {k: v for k, v in b.data.items() if k != "parameters"}
        print(json.dumps({"ref": b.ref, **info, "parameters": params}, indent=2, default=str))
        return EXIT_OK
    out = [f"{b.ref} {b.text('version')} - {b.text('summary')}"]
    dep = b.data.get("deprecated")
    if isinstance(dep, dict):
        out.append(f"  DEPRECATED since {dep.get('since')}: {dep.get('reason')}")
    if not b.is_stack:
        tool = b.tool()
        versions = tool.get("versions") if isinstance(tool.get("versions"), list) else []
        out.append(f"  tool: {tool.get('name')} {', '.join(str(v) for v in versions)}")
        reload = b.reload()
        if reload:
            out.append(f"  after changes: {reload.get('action')} {reload.get('service')}")
        out.append(f"  implements: {', '.join(str(i) for i in b.implements()) or '-'}")
        out.append(f"  services: {', '.join(b.words('services'))}")
        out.append("  parameters:")
        for name, spec in params.items():
            flags = [f"format {spec['format']}"] if isinstance(spec.get("format"), str) else []
            if spec.get("required"):
                flags.append("required")
            if spec.get("secret"):
                flags.append("secret")
            if "default" in spec:
                flags.append(f"default {spec['default']!r}")
            out.append(f"    {name} ({spec.get('type')}{', ' + ', '.join(flags) if flags else ''})")
            out.append(f"        {spec.get('description', '')}")
        out.append("  files:")
        for _, f in b.files():
            roles = f.get("roles") if isinstance(f.get("roles"), list) else []
            out.append(f"    {f.get('dest')}  <- {f.get('source')}  [{','.join(map(str, roles))}]")
    else:
        out.append("  members:")
        for _, m in b.members():
            out.append(f"    {m.get('bundle')} {m.get('version', '')}")
    print(printable("\n".join(out)))
    return EXIT_OK


def _layers(args) -> list:
    """--values files, then --secrets-from files, then --set pairs (later wins)."""
    from .secrets import read_secrets_layer
    from .values import read_values_layer, set_layer

    layers = [read_values_layer(Path(p)) for p in args.values]
    layers += [read_secrets_layer(Path(p)) for p in args.secrets_from]
    layers.append(set_layer(args.set))
    return layers


def cmd_render(args) -> int:
    from .render import RenderError, render
    from .values import ValuesError

    root = _root(args)
    try:
        check = None
        if args.check:
            from .render_check import native as check
        doc = render(
            root,
            args.name,
            Path(args.output),
            _layers(args),
            force=args.force,
            check=check,
            strict=args.strict,
            only=args.member or None,
        )
    except (RenderError, ValuesError) as exc:
        print(f"opsbundle render: nothing written to {args.output}:", file=sys.stderr)
        print(printable(str(exc)), file=sys.stderr)
        return EXIT_FINDINGS
    print(
        f"rendered {doc['rendered']} {doc['version']}: {len(doc['files'])} file(s) in {args.output}"
    )
    return EXIT_OK


def cmd_build(args) -> int:
    from .pkgbuild.build import BuildError, build
    from .values import ValuesError

    root = _root(args)
    try:
        layers = _layers(args)
        summary = build(
            root,
            args.name,
            args.project,
            Path(args.source),
            Path(args.output),
            layers,
            version_override=args.version,
            force=args.force,
        )
    except (BuildError, ValuesError) as exc:
        print(f"opsbundle build: nothing written to {args.output}:", file=sys.stderr)
        print(printable(str(exc)), file=sys.stderr)
        return EXIT_FINDINGS
    if args.format == "json":
        print(json.dumps(summary, indent=2))
    else:
        for pkg in summary["packages"]:
            print(f"built {args.output}/{pkg['file']}")
        print(f"summary: {args.output}/build.json")
    return EXIT_OK


def cmd_new(args) -> int:
    from .scaffold import ScaffoldError, create

    root = _root(args)
    try:
        path = create(
            root,
            args.ref,
            args.tool,
            args.implements,
            args.service,
            args.maintainer,
        )
    except ScaffoldError as exc:
        print(printable(f"opsbundle new: {exc}"), file=sys.stderr)
        return EXIT_FINDINGS
    print(f"created {path.relative_to(root)}: edit manifest.yaml and files/, then run")
    print(f"  opsbundle validate {args.ref}")
    return EXIT_OK


def cmd_test(args) -> int:
    import os
    import time

    from . import conformance
    from .checks import Context
    from .conformance import report
    from .progress import Progress

    ctx = Context.for_repo(_root(args))
    names = {ctx.named(n).ref for n in args.names} if args.names else None
    unknown = sorted(set(args.interface or ()) - set(conformance.SUITES))
    if unknown:
        known = ", ".join(sorted(conformance.SUITES))
        print(printable(f"opsbundle test: no conformance suite for {', '.join(unknown)} "
                        f"(suites: {known})"), file=sys.stderr)  # fmt: skip
        return EXIT_USAGE
    jobs = conformance.jobs(ctx, args.interface or None, names)
    if not jobs:
        print("no conformance results: no suite covers the selected bundles")
        return EXIT_OK
    start = time.monotonic()
    with Progress(len(jobs), "opsbundle test") as progress:

        def done(outcome) -> None:
            progress.step(report.progress_line(outcome, progress.done + 1, len(jobs)))

        workers = args.jobs or max(2, 2 * (os.cpu_count() or 1))
        took = report.durations()
        outcomes = conformance.run_parallel(ctx, jobs, workers, done, took)
    report.remember(outcomes, took)
    seconds = time.monotonic() - start
    out = {"text": report.as_text, "json": report.as_json, "junit": report.as_junit}
    print(out[args.format](outcomes, seconds))
    if args.format == "text":
        for line in conformance.summaries([r for o in outcomes for r in o.results]):
            print(line)
    return EXIT_FINDINGS if any(o.failed for o in outcomes) else EXIT_OK


def cmd_coverage(args) -> int:
    from . import catalog, conformance, coverage
    from .checks import Context

    ctx = Context.for_repo(_root(args))
    broken = catalog.problems(ctx.registry)
    if broken:
        print("\n".join(broken), file=sys.stderr)
        return EXIT_FINDINGS
    bundles = list(conformance.implementations(ctx, catalog.INTERFACE))
    if not bundles:
        print(f"no bundle implements {catalog.INTERFACE}", file=sys.stderr)
        return EXIT_FINDINGS
    table = coverage.collect(ctx, bundles)
    print(coverage.as_json(table) if args.format == "json" else coverage.as_text(ctx, table))
    return EXIT_FINDINGS if coverage.failed(table) else EXIT_OK


def cmd_parse(args) -> int:
    from . import logparse
    from .checks import Context
    from .values import ValuesError, read_values_layer, set_layer

    ctx = Context.for_repo(_root(args))
    ref = ctx.named(args.bundle).ref
    try:
        layers = [read_values_layer(Path(p)) for p in args.values]
        layers.append(set_layer(args.set))
        file = Path(args.file) if args.file else None
        logparse.command(ctx, ref, file, args.as_path, sys.stdout, layers)
    except (logparse.UsageError, ValuesError) as exc:
        print(f"opsbundle parse: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except logparse.ParseError as exc:
        print(f"opsbundle parse: {exc}", file=sys.stderr)
        return EXIT_FINDINGS
    return EXIT_OK


def cmd_site(args) -> int:
    from .site.build import SiteError, build

    try:
        summary = build(
            _root(args),
            Path(args.output),
            Path(args.results) if args.results else None,
            force=args.force,
        )
    except SiteError as exc:
        print(f"opsbundle site: nothing written to {args.output}: {exc}", file=sys.stderr)
        return EXIT_FINDINGS
    for problem in summary.problems:
        print(f"opsbundle site: note: {problem}", file=sys.stderr)
    print(
        f"wrote {len(summary.pages)} pages ({summary.bundles} bundles, "
        f"{summary.checks} catalog checks) to {args.output}"
    )
    return EXIT_OK


def cmd_review(args) -> int:
    from . import review
    from .validate import Options, run

    top = review.top_level(Path(args.site) if args.site else Path.cwd())
    chosen, notes = review.opsbundles_submodules(top, args.since)
    for note in notes:
        print(f"note: {note}")
    if not chosen:
        print("no opsbundles submodule changes" + (f" since {args.since}" if args.since else ""))
        return EXIT_OK
    failed = False
    for moved, root in chosen:
        since = moved.old or None
        print(f"== {moved.path}: {since[:12] if since else 'new'} -> {moved.new[:12]}")
        report = run(
            root,
            Options(changed_since=since, cache=not args.no_cache, native=not args.no_native),
        )
        print(report.as_text())
        failed |= report.failed(args.warnings_as_errors)
    return EXIT_FINDINGS if failed else EXIT_OK


def cmd_doctor(args) -> int:
    from . import doctor

    table = doctor.rows()
    print(json.dumps(table, indent=2) if args.format == "json" else doctor.as_text(table))
    return EXIT_FINDINGS if any(not r["found"] for r in table) else EXIT_OK


def cmd_codes(args) -> int:
    from .findings import CODES

    for code, (severity, title) in CODES.items():
        print(f"{code}  {severity:<7}  {title}")
    return EXIT_OK


def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--root",
        metavar="DIR",
        help=f"the opsbundles repository (default: ${ROOT_ENV}, else found above the current "
        "folder), e.g. --root vendor/opsbundles in a site repository",
    )
    common.add_argument(
        "--path",
        action="append",
        default=[],
        metavar="DIR",
        help=f"a site's own bundles and stacks, laid out like the repository (repeatable; "
        f"also ${repo.PATH_ENV}, {os.pathsep}-separated), e.g. --path site-bundles",
    )
    p = argparse.ArgumentParser(
        prog="opsbundle", description="Validate, list, show, render and scaffold opsbundles."
    )
    p.add_argument("--version", action="version", version=f"opsbundle {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    v = sub.add_parser("validate", parents=[common], help="check bundles")
    v.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="bundle refs (logging/rsyslog), bare names (rsyslog), paths to a bundle or a file "
        "in it, or folders of bundles (monitoring, .); default: every bundle",
    )
    v.add_argument(
        "--format",
        choices=("text", "json", "junit"),
        default="text",
        help="text (path:line:col: CODE message), json, or junit for CI (default: text)",
    )
    v.add_argument(
        "--changed-since",
        nargs="?",
        const="",
        metavar="REF",
        help="only bundles changed since the merge-base with REF, and require their version "
        "bumps (--path bundles: all, no bump); without REF: "
        f"${repo.BASE_REF_ENV}, else {repo.DEFAULT_BASE_REF}",
    )
    v.add_argument(
        "--warnings-as-errors", action="store_true", help="exit 1 on warnings too (e.g. TPL005)"
    )
    v.add_argument("--jobs", type=int, default=0, help="worker processes (default: cores)")
    native = v.add_mutually_exclusive_group()
    native.add_argument(
        "--no-native", action="store_true", help="skip the real engines (rsyslogd, ...)"
    )
    native.add_argument(
        "--require-native",
        action="store_true",
        help="fail when a real engine a bundle needs is not installed (for CI)",
    )
    v.add_argument(
        "--no-cache", action="store_true", help="check every bundle afresh, ignoring earlier runs"
    )
    v.set_defaults(func=cmd_validate)

    ls = sub.add_parser("list", parents=[common], help="list bundles")
    ls.add_argument(
        "--domain", choices=(*repo.DOMAINS, "stack"), help="only bundles of this domain"
    )
    ls.add_argument(
        "--implements",
        metavar="IFACE",
        help="only implementations of an interface: name/vN or just name (log-collection)",
    )
    ls.add_argument("--service", metavar="SERVICE", help="only bundles covering this service")
    ls.add_argument("--format", choices=("text", "json"), default="text", help="text or json")
    ls.set_defaults(func=cmd_list)

    sh = sub.add_parser("show", parents=[common], help="describe one bundle")
    sh.add_argument("name", help="a bundle ref or name (logging/rsyslog, rsyslog)")
    sh.add_argument("--format", choices=("text", "json"), default="text", help="text or json")
    sh.set_defaults(func=cmd_show)

    r = sub.add_parser("render", parents=[common], help="render a bundle or stack into DIR")
    r.add_argument("name", help="a bundle or stack (monitoring/nagios, bundles/openstack-logging)")
    r.add_argument(
        "-o", "--output", required=True, metavar="DIR", help="folder to write (atomically)"
    )
    r.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="one value (repeatable); domain/name:KEY=VALUE for one bundle only",
    )
    r.add_argument(
        "--values",
        action="append",
        default=[],
        metavar="FILE",
        help="a YAML values file (repeatable, later files win); keys scoped by bundle as "
        "'logging/rsyslog: {...}'; keys and sections for bundles not being rendered are left "
        "for their own render",
    )
    r.add_argument(
        "--secrets-from",
        action="append",
        default=[],
        metavar="FILE",
        help="a values file of secrets only, mode 0600 and yours; any values file may also "
        "say 'password: {from_env: VAR}' or '{from_file: PATH}'",
    )
    r.add_argument(
        "--strict",
        action="store_true",
        help="values for bundles or parameters this render does not cover are errors",
    )
    r.add_argument(
        "--member",
        action="append",
        metavar="BUNDLE",
        help="render only this member of the stack (repeatable), e.g. --member nagios",
    )
    r.add_argument("--force", action="store_true", help="replace a non-empty DIR")
    r.add_argument(
        "--check",
        action="store_true",
        help="run the tools' own checks (rsyslogd -N1, nagios4 -v, ...) on the rendered files "
        "with these values before writing them; a missing tool fails",
    )
    r.set_defaults(func=cmd_render)

    b = sub.add_parser(
        "build", parents=[common], help="build rpm or deb packages of a project from its source"
    )
    b.add_argument("name", metavar="BUNDLE", help="packaging/rpm or packaging/deb")
    b.add_argument("--project", required=True, help="a project the bundle packages")
    b.add_argument("--source", required=True, metavar="DIR", help="git checkout or unpacked sdist")
    b.add_argument("-o", "--output", required=True, metavar="OUT")
    b.add_argument("--version", help="use this version instead of pbr's (git tag, PKG-INFO)")
    b.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="one value (repeatable)"
    )
    b.add_argument(
        "--values", action="append", default=[], metavar="FILE", help="a YAML values file"
    )
    b.add_argument(
        "--secrets-from", action="append", default=[], metavar="FILE", help="a secrets file (0600)"
    )
    b.add_argument("--force", action="store_true", help="replace a non-empty OUT")
    b.add_argument("--format", choices=("text", "json"), default="text")
    b.set_defaults(func=cmd_build)

    n = sub.add_parser("new", parents=[common], help="scaffold a bundle")
    n.add_argument("ref", metavar="DOMAIN/NAME")
    n.add_argument("--tool", required=True)
    n.add_argument("--implements", action="append", default=[], metavar="IFACE/vN")
    n.add_argument(
        "--service",
        action="append",
        required=True,
        metavar="SERVICE",
        help="a service the bundle covers (repeat for more), from interfaces/vocabulary.yaml",
    )
    n.add_argument("--maintainer", default="OpenStack operators")
    n.set_defaults(func=cmd_new)

    t = sub.add_parser("test", parents=[common], help="run the interfaces' conformance suites")
    t.add_argument("names", nargs="*", metavar="BUNDLE")
    t.add_argument("--interface", action="append", metavar="IFACE/vN")
    t.add_argument(
        "--format",
        choices=("text", "json", "junit"),
        default="text",
        help="json: the opsbundle-test/1 document (see conformance/report.py)",
    )
    t.add_argument(
        "--jobs", type=int, default=0, help="suites at once (default: twice the cores; 1: serial)"
    )
    t.set_defaults(func=cmd_test)

    cov = sub.add_parser(
        "coverage",
        parents=[common],
        help="matrix of service-checks catalog checks by implementation",
    )
    cov.add_argument("--format", choices=("text", "json"), default="text")
    cov.set_defaults(func=cmd_coverage)

    pa = sub.add_parser(
        "parse", parents=[common], help="parse log lines with a bundle's rules into log-fields/v1"
    )
    pa.add_argument("bundle", metavar="BUNDLE")
    pa.add_argument("file", nargs="?", metavar="FILE", help="log file (default: stdin)")
    pa.add_argument(
        "--as",
        dest="as_path",
        metavar="PATH",
        help="where the file lives on a host, which picks the bundle's input "
        "(default: <layout path of its folder>/<its name>; stdin: nova's nova-api.log)",
    )
    pa.add_argument(
        "--values", action="append", default=[], metavar="FILE", help="the site's values"
    )
    pa.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="one value (repeatable)"
    )
    pa.set_defaults(func=cmd_parse)

    st = sub.add_parser(
        "site",
        parents=[common],
        help="write the browsable catalog (static HTML) of every bundle, interface and check",
    )
    st.add_argument("-o", "--output", required=True, metavar="DIR")
    st.add_argument(
        "--results",
        metavar="FILE",
        help="conformance results from `opsbundle test --format json`, shown per interface",
    )
    st.add_argument("--force", action="store_true", help="replace a non-empty DIR")
    st.set_defaults(func=cmd_site)

    rv = sub.add_parser(
        "review",
        help="in a site repository: check the opsbundles submodules whose commit changes",
    )
    rv.add_argument(
        "--site", metavar="DIR", help="the site repository (default: the current folder's)"
    )
    rv.add_argument(
        "--since",
        metavar="REF",
        help="compare the submodules' commits at REF and HEAD (CI) instead of the staged ones",
    )
    rv.add_argument("--no-native", action="store_true", help="skip the real engines")
    rv.add_argument("--no-cache", action="store_true", help="check afresh, ignoring earlier runs")
    rv.add_argument("--warnings-as-errors", action="store_true", help="exit 1 on warnings too")
    rv.set_defaults(func=cmd_review)

    dr = sub.add_parser("doctor", help="which real engines are installed, where, how to add them")
    dr.add_argument("--format", choices=("text", "json"), default="text", help="text or json")
    dr.set_defaults(func=cmd_doctor)

    c = sub.add_parser("codes", help="list every finding code")
    c.set_defaults(func=cmd_codes)
    for name, command in sub.choices.items():
        for action in command._actions:
            if not action.help and (name, action.dest) in HELP:
                action.help = HELP[(name, action.dest)]
        if name in EXAMPLES:
            command.epilog = "examples:\n" + EXAMPLES[name]
            command.formatter_class = argparse.RawDescriptionHelpFormatter
    return p


# what an option does, for the options declared without a help above
HELP = {
    ("build", "output"): "folder for the packages and build.json (written atomically)",
    ("build", "format"): "text, or json (the build.json summary)",
    ("new", "ref"): "the new bundle's <domain>/<name>, e.g. logging/fluent-bit",
    ("new", "tool"): "the tool the bundle configures (manifest tool.name)",
    (
        "new",
        "implements",
    ): "an interface the bundle implements (repeatable), e.g. log-collection/v1",
    ("new", "maintainer"): "who reviews it (default: OpenStack operators)",
    ("test", "names"): "only these bundles (refs or names); default: every implementation",
    ("test", "interface"): "only this interface's suite (repeatable), e.g. render-index/v1",
    ("coverage", "format"): "text (a matrix) or json",
    ("parse", "bundle"): "the bundle whose rendered rules parse the log, e.g. logging/fluentd",
    ("site", "output"): "folder for the static catalog (replaced only with --force)",
}


EXAMPLES = {
    "validate": """  opsbundle validate                          every bundle
  opsbundle validate monitoring               every bundle under monitoring/
  opsbundle validate logging/rsyslog --no-native
  opsbundle validate --changed-since          changed since $OPSBUNDLES_BASE_REF or origin/main
  opsbundle validate --root vendor/opsbundles --changed-since origin/stable --format junit""",
    "list": """  opsbundle list --implements log-collection
  opsbundle list --domain monitoring --format json""",
    "show": "  opsbundle show monitoring/nagios --format json",
    "render": """  opsbundle render monitoring/nagios -o rendered/nagios \\
      --values site.yaml --set contact_email=ops@example.org
  opsbundle render bundles/openstack-monitoring -o rendered/mon --values site.yaml --force""",
    "build": "  opsbundle build packaging/deb --project glance --source ~/src/glance -o out/deb",
    "new": "  opsbundle new logging/fluent-bit --tool fluent-bit --implements log-collection/v1 "
    "--service nova",
    "test": """  opsbundle test                              every conformance suite
  opsbundle test --interface render-index/v1 monitoring/nagios""",
    "parse": "  opsbundle parse logging/fluentd nova-api.log --as /var/log/nova/nova-api.log",
    "review": """  opsbundle review                       in a site repo, before a commit (the hook)
  opsbundle review --since origin/main   in a site repo's CI job""",
    "doctor": "  opsbundle doctor\n  OPSBUNDLE_NATIVE_PATH=/opt/prometheus/bin opsbundle doctor",
    "coverage": "  opsbundle coverage\n  opsbundle coverage --format json",
    "site": "  opsbundle site -o build/site --force",
    "codes": "  opsbundle codes | grep ^DEP",
}


def _terminated(signum, frame):
    """SIGTERM as an exception, so a render or build cleans up its staging folder."""
    raise SystemExit(128 + signum)


# Python's collector runs a young-generation pass every 700 new container
# objects. validate and render compile Jinja2 templates: each compile makes and
# drops thousands of syntax-tree nodes, and the compiled templates are kept for
# the rest of the run (templating.compiled), so at 700 the collector ran ~1,200
# times per 1,000 bundles and walked the kept templates each time (0.8 s of a
# 20 s run; 0.28 s at 10,000). Reference counting frees everything else at once;
# only cyclic garbage waits the little longer.
_GC_YOUNG = 10_000


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if getattr(args, "path", None):  # one source for discovery: the variable
        given = [str(Path(p).absolute()) for p in args.path]
        os.environ[repo.PATH_ENV] = os.pathsep.join([*given, *repo.site_paths_text()])
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _terminated)
    thresholds = gc.get_threshold()
    gc.set_threshold(_GC_YOUNG, *thresholds[1:])
    try:
        return args.func(args)
    except repo.RepoError as exc:
        print(f"opsbundle: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        return 130
    finally:
        gc.set_threshold(*thresholds)
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
