"""Tests of tools/opsbundle/site/ (named static_site, not site, so that a
sys.path holding tools/tests never shadows the standard library's `site`)."""
