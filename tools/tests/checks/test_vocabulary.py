"""checks/vocabulary.py: services and host roles come from interfaces/vocabulary.yaml."""

from __future__ import annotations

import pytest
from conftest import bad_cases, build_repo, check_bad_fixture, of_bundle, validate


@pytest.mark.parametrize("fixture", bad_cases("VOC"))
def test_bad_vocabulary_fixture(tmp_path, fixture):
    check_bad_fixture(tmp_path, fixture)


def test_unknown_service_suggests_the_close_one(tmp_path):
    (f,) = check_bad_fixture(tmp_path, "bad_unknown_service")
    assert f.message == "unknown service 'nvoa'"
    assert f.hint == "did you mean 'nova'?"


def test_unknown_role_suggests_the_close_one(tmp_path):
    (f,) = check_bad_fixture(tmp_path, "bad_unknown_role")
    assert f.message == "unknown host role 'controler'"
    assert f.hint == "did you mean 'controller'?"


def test_far_off_word_points_at_the_vocabulary(tmp_path):
    root = build_repo(tmp_path, "good_minimal")
    manifest = root / "logging/minimal/manifest.yaml"
    manifest.write_text(manifest.read_text().replace("- nova", "- nova\n- zzzzzz"))
    (f,) = of_bundle(validate(root), "logging/minimal")
    assert (f.code, f.line, f.col) == ("VOC001", 16, 3)
    assert f.hint == "add it to interfaces/vocabulary.yaml"


def test_every_unknown_word_is_reported(tmp_path):
    root = build_repo(tmp_path, "good_templated")
    manifest = root / "logging/templated/manifest.yaml"
    text = manifest.read_text().replace("- nova\n- keystone", "- nova2\n- keystone2")
    text = text.replace("  - controller", "  - ctl").replace("  - all", "  - everyone")
    manifest.write_text(text)
    found = of_bundle(validate(root), "logging/templated")
    assert sorted((f.code, f.line) for f in found) == [
        ("VOC001", 19),
        ("VOC001", 20),
        ("VOC002", 51),
        ("VOC002", 57),
    ]


def test_a_word_added_to_the_vocabulary_is_known(tmp_path):
    root = build_repo(tmp_path, "bad_unknown_service")
    vocab = root / "interfaces" / "vocabulary.yaml"
    vocab.write_text(vocab.read_text().replace("services:\n", "services:\n  nvoa: New service\n"))
    assert validate(root).findings == []
