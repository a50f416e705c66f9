"""log-fields/v1: every parser bundle, run on its own rules, must turn each
log of the corpus,
interfaces/log-fields/v1/conformance/corpus/<source>/<kind>/<service>/<program>.log,
into exactly the events the oracle (`oracle.py`) derives from the JSON twin the
same program wrote beside it.

Sources: `oslo.log-<version>` (the real oslo.log at each release we claim,
generate_oslo.py), `journald-<systemd version>` (the same records in a
real journal, generate_journal.py: for the bundles that read the journal,
logparse.reads_journal), the daemons', and `documented` (formats their
programs document, with their events beside them, until their daemons write
the twin here). A case is
one expected event; a bundle that cannot run (engine missing, broken pattern)
fails every case with the reason. A file goes where it lies on a host: in
the layout of the bundle's examples, or in the one its kind's `site.json`
names (Kolla's fluentd writes HAProxy's file only in Kolla's layout), the
bundle rendered for that layout.
"""

from __future__ import annotations

from pathlib import Path

from .. import logparse
from ..logparse import journal
from .oracle import expected
from .result import Result

INTERFACE = "log-fields/v1"


def corpus(root: Path) -> Path:
    return root / "interfaces" / "log-fields" / "v1" / "conformance" / "corpus"


def samples(
    root: Path, sources: set[str] | None = None, base: Path | None = None, journal_too=False
) -> list[tuple[str, Path]]:
    """(kind, log) of every corpus log (of `sources` only, when given; of the
    corpus at `base`, default the repository's), with `journal_too` the
    journal's cases (`<program>.export`) as well; the kind is the matrix row."""
    base = base or corpus(root)
    found = sorted(base.glob("*/*/*/*.log"))
    if journal_too:
        found = sorted([*found, *base.glob(f"*/*/*/*{journal.SUFFIX}")])
    if sources is not None:
        found = [p for p in found if p.relative_to(base).parts[0] in sources]
    return [(p.relative_to(base).parts[1], p) for p in found]


def is_journal(log: Path) -> bool:
    return journal.is_case(log.name)


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 120 else f"{text[:100]}...({len(text)} chars)"


def _diff(got: dict, want: dict) -> str:
    keys = sorted(set(got) | set(want))
    return "; ".join(
        f"{k}: got {_shown(got.get(k, '(absent)'))}, want {_shown(want.get(k, '(absent)'))}"
        for k in keys
        if got.get(k) != want.get(k)
    )


def layout(log: Path) -> str | None:
    """The layout a kind's logs lie in on a host (its `site.json`'s
    `layout`: Kolla's fluentd writes HAProxy's file only in Kolla's), or
    None: wherever the bundle's examples put them."""
    import json

    site = log.parents[1] / "site.json"
    return json.loads(site.read_text(encoding="utf-8")).get("layout") if site.exists() else None


def _parse(ctx, bundle, cases) -> list[tuple[list[dict], str]]:
    """(events, failure) of each case: the bundle rendered once per layout
    the cases lie in, each file at its host path in that layout, and every
    render parsed by one engine process (logparse.parse_renders)."""
    out: list[tuple[list[dict], str]] = [([], "")] * len(cases)
    renders, owners = [], []
    for where in sorted({layout(path) or "" for _, path in cases}):
        mine = [n for n, (_, path) in enumerate(cases) if (layout(path) or "") == where]
        values = {**logparse.render_values(bundle), "log_layout": where} if where else None
        files = [
            (logparse.host_path(ctx, bundle, path.parent.name, path.name, values), path)
            for path in (cases[n][1] for n in mine)
        ]
        renders.append((files, values))
        owners.append(mine)
    for mine, said in zip(owners, logparse.parse_renders(ctx, bundle, renders), strict=True):
        failed = isinstance(said, logparse.ParseError)
        for n, got in zip(mine, [[]] * len(mine) if failed else said, strict=True):
            out[n] = (got, str(said) if failed else "")
    return out


def run(ctx, bundles, sources: set[str] | None = None, base: Path | None = None) -> list[Result]:
    base = base or corpus(ctx.root)
    cases = samples(ctx.root, sources, base, journal_too=True)
    results: list[Result] = []
    for bundle in bundles:
        # the journal's cases are for the bundles that read the journal
        mine = [c for c in cases if logparse.reads_journal(bundle) or not is_journal(c[1])]
        for (kind, path), (got, failure) in zip(mine, _parse(ctx, bundle, mine), strict=True):
            want = expected(path)
            name = "/".join(path.relative_to(base).parts[::2])
            if failure:
                results += [
                    Result(bundle.ref, kind, f"{name}#{i + 1}", False, failure)
                    for i in range(len(want))
                ]
                continue
            for i in range(max(len(want), len(got))):
                if i >= len(got):
                    detail = "no such event: records folded together or lost"
                    results.append(Result(bundle.ref, kind, f"{name}#{i + 1}", False, detail))
                elif i >= len(want):
                    detail = f"extra event: {got[i].get('message', '')[:80]!r}"
                    results.append(Result(bundle.ref, kind, f"{name}#{i + 1}", False, detail))
                else:
                    detail = _diff(got[i], want[i])
                    results.append(Result(bundle.ref, kind, f"{name}#{i + 1}", not detail, detail))
    return results
