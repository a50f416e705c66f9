"""logparse.parse_renders: one bundle rendered for each layout the corpus's
logs lie in, every render read by one engine process, each render's events
those of parse() on that render alone."""

from __future__ import annotations

import subprocess
from pathlib import Path

from opsbundle import logparse, repo
from opsbundle.checks import Context
from opsbundle.conformance import log_fields
from opsbundle.interfaces import Registry

REPO = Path(__file__).resolve().parents[3]


def _renders(ctx, bundle) -> list:
    cases = [p for _, p in log_fields.samples(REPO, {"oslo.log-8.3.2", "documented", "kolla"})]
    cases += [p for _, p in log_fields.samples(REPO) if log_fields.layout(p)][:3]
    renders = []
    for where in sorted({log_fields.layout(p) or "" for p in cases}):
        values = {**logparse.render_values(bundle), "log_layout": where} if where else None
        files = [(logparse.host_path(ctx, bundle, p.parent.name, p.name, values), p)
                 for p in cases if (log_fields.layout(p) or "") == where]  # fmt: skip
        renders.append((files, values))
    return renders


def test_every_render_in_one_engine_process_as_each_alone(monkeypatch):
    ctx = Context(REPO, Registry(REPO), {b.ref: b for b in repo.discover(REPO)})
    bundle = ctx.bundle("logging/fluentd")
    renders = _renders(ctx, bundle)
    assert len(renders) >= 2, "the corpus has logs in one layout only"
    alone = [logparse.parse(ctx, bundle, *render) for render in renders]
    started = []
    real = subprocess.Popen

    def counting(argv, *args, **kwargs):
        started.append(Path(argv[0]).name)
        return real(argv, *args, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", counting)
    together = logparse.parse_renders(ctx, bundle, renders)
    assert started == ["ruby"]
    assert together == alone
    assert all(any(events) for events in together)  # each render read some events
