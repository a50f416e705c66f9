"""logging/rsyslog end to end, for real: one rsyslogd runs the bundle's
rendered drop-ins as shipped (imfile, mmnormalize, the RainerScript, the
template and the omfwd action of 61-opsbundles-forward.conf) on the corpus,
and forwards to a second rsyslogd on 127.0.0.1 (testcloud's `rsyslog`) over
plain TCP and over TLS verified against a throw-away CA. The JSON the
receiver got must be exactly the oracle's events. Only the files' folder is
moved (the drop-ins' `File=` globs point under a scratch root)."""

import json
import re
import shutil
import time
from pathlib import Path

import pytest
from opsbundle.checks import Context
from opsbundle.conformance import log_fields
from opsbundle.conformance.oracle import expected
from opsbundle.engines.rsyslog import localise, problems
from opsbundle.logparse import host_path
from opsbundle.render import render_files
from testcloud.rsyslog import RsyslogForwarder

REPO = Path(__file__).resolve().parents[3]
TIMEOUT = 120


def _forwarder_config(work: Path, receiver, transport: str) -> tuple[Path, list, list[dict]]:
    ctx = Context.for_repo(REPO)
    bundle = ctx.bundle("logging/rsyslog")
    values = bundle.sample_values()
    values.update(
        log_layout="debian",
        log_services=list(bundle.data["services"]),
        aggregator_host="127.0.0.1",
        aggregator_port=receiver.ports[transport],
        tls_enabled=transport == "tls",
        tls_ca_file=receiver.info["ca_file"],
    )
    rendered = work / "rendered"
    entries = render_files(ctx, bundle, values, rendered)
    files = [(e["source_file"], rendered / e["source"], e["dest"]) for e in entries]
    root, want = work / "root", []
    for n, (_, log) in enumerate(log_fields.samples(REPO)):
        copy = root / str(n) / host_path(ctx, bundle, log.parent.name, log.name).lstrip("/")
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(log, copy)
        want += expected(log)
    # imfile's File= only (not StreamDriver.CAFile=)
    main, where = localise(
        files, work, rewrite=lambda t: re.sub(r'\bFile="/', f'File="{root}/*/', t)
    )
    assert problems(main, where, files) == []
    return main, files, want


def _canonical(events) -> list[str]:
    return sorted(json.dumps(e, sort_keys=True, ensure_ascii=False) for e in events)


@pytest.mark.parametrize("transport", ["tcp", "tls"])
def test_the_aggregator_receives_the_oracle_events(testcloud, tmp_path, transport):
    receiver = testcloud.get("rsyslog")
    before = len(receiver.received(transport))
    main, _, want = _forwarder_config(tmp_path, receiver, transport)
    with RsyslogForwarder(tmp_path / "forwarder", config=str(main)):
        deadline = time.monotonic() + TIMEOUT
        while len(receiver.received(transport)) - before < len(want):
            got = len(receiver.received(transport)) - before
            assert time.monotonic() < deadline, f"the aggregator got {got} of {len(want)} events"
            time.sleep(0.2)
    got = [json.loads(line) for line in receiver.received(transport)[before:]]
    assert _canonical(got) == _canonical(want)
    assert len(want) > 150
