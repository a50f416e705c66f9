"""The rendered Zabbix template goes into a real Zabbix 6.0 (one throw-away
frontend and database for this module), and broken ones are refused there."""

import pytest
import yaml
from opsbundle import inventory
from opsbundle.conformance import zabbix_import
from servicechecks_repo import REAL_ROOT, context


@pytest.fixture(scope="module")
def zabbix():
    server = zabbix_import.Zabbix()
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    ctx = context(REAL_ROOT)
    files = inventory.render(ctx, ctx.bundle("monitoring/zabbix"), tmp_path_factory.mktemp("zbx"))
    (path,) = [p for d, p in files if d.endswith(".yaml")]
    return path.read_text(encoding="utf-8")


def _first_item(text, change):
    doc = yaml.safe_load(text)
    change(doc["zabbix_export"]["templates"][1]["items"][0])
    return yaml.safe_dump(doc, sort_keys=False)


def test_rendered_template_imports_with_every_item(zabbix, rendered):
    ok, detail = zabbix.import_yaml(rendered)
    assert ok, detail
    stored = zabbix_import.stored("monitoring/zabbix", zabbix, rendered)
    assert len(stored) == 6 and all(r.ok for r in stored), stored
    # the UUIDs are stable: importing again updates, it does not duplicate
    assert zabbix.import_yaml(rendered)[0]
    assert all(r.ok for r in zabbix_import.stored("monitoring/zabbix", zabbix, rendered))


def test_broken_item_key_is_refused(zabbix, rendered):
    broken = _first_item(rendered, lambda item: item.update(key=item["key"][:-1] + ",,]]"))
    ok, detail = zabbix.import_yaml(broken)
    assert not ok
    assert "key" in detail.lower(), detail


def test_broken_trigger_expression_is_refused(zabbix, rendered):
    def bad_trigger(item):
        item["triggers"][0]["expression"] = "last(/No such template/nothing[)>0"

    ok, detail = zabbix.import_yaml(_first_item(rendered, bad_trigger))
    assert not ok
    assert "expression" in detail.lower() or "trigger" in detail.lower(), detail


def test_unknown_field_is_refused(zabbix, rendered):
    ok, detail = zabbix.import_yaml(_first_item(rendered, lambda item: item.update(colour="red")))
    assert not ok and "colour" in detail, detail
