"""The version of a source tree, computed the way pbr computes it, and its
rpm and deb spellings.

pbr's order of precedence (pbr/packaging.py `get_version`): PBR_VERSION from
the environment, then the `Version` of PKG-INFO (an unpacked sdist), then git:
an exact tag on HEAD is the version; otherwise the newest version tag reachable
from HEAD is incremented (patch by default, minor or major when a commit since
the tag carries a `Sem-Ver: feature|deprecation|api-break` line) and becomes a
dev version counting the commits since the tag. `[metadata] version` in
setup.cfg, when set, is the target an untagged tree develops towards.

pbr's own `rpm_string()` writes a pre-release as a version of the release
before (1.0.0.0rc1 -> 0.9999.9999.rc1) and its `debian_string()` sorts an rc's
dev build after the rc. Both rpm (since 4.10) and dpkg sort `~` before
anything, so one spelling serves both and keeps pbr's order:
    1.2.4.dev3       -> 1.2.4~~dev3   (before every pre-release of 1.2.4)
    1.0.0.0a1        -> 1.0.0~a1
    1.0.0.0rc2.dev3  -> 1.0.0~rc2~dev3
    1.0.0            -> 1.0.0
"""

from __future__ import annotations

import configparser
import email.parser
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from pbr.version import SemanticVersion

_SEMVER_LINE = re.compile(r"^\s*sem-ver:(.*)$", re.IGNORECASE | re.MULTILINE)
_IMPACT = {"feature": "minor", "deprecation": "minor", "api-break": "major"}
_PEP440 = re.compile(
    r"^(?P<base>\d+\.\d+\.\d+)(?:\.0(?P<pre>(?:a|b|rc)\d+))?(?:\.dev(?P<dev>\d+))?$"
)


class VersionError(Exception):
    """The source tree has no version pbr could compute either."""


@dataclass(frozen=True)
class Version:
    pbr: str  # what pbr reports (PEP 440), passed to the build as PBR_VERSION
    source: str  # where it came from: override, PKG-INFO, git tag, git

    @property
    def package(self) -> str:
        """The upstream part of the rpm Version and of the deb version."""
        m = _PEP440.match(self.pbr)
        if not m:
            raise VersionError(f"{self.pbr!r} is not a version pbr writes")
        text = m["base"]
        if m["pre"]:
            text += f"~{m['pre']}"
        if m["dev"]:
            text += f"~dev{m['dev']}" if m["pre"] else f"~~dev{m['dev']}"
        return text

    @property
    def rpm(self) -> str:
        return self.package

    def deb(self, revision: str = "1") -> str:
        return f"{self.package}-{revision}"


def canonical(text: str) -> str:
    """pbr's canonical spelling of a version string (2.0 -> 2.0.0, 1.0a1 -> 1.0.0.0a1)."""
    try:
        return SemanticVersion.from_pip_string(text.strip()).release_string()
    except (ValueError, TypeError) as exc:
        raise VersionError(f"{text!r} is not a version pbr understands: {exc}") from None


def compute(source: Path, name: str | None = None, override: str | None = None) -> Version:
    if override:
        return Version(canonical(override), "override")
    pkg_info = source / "PKG-INFO"
    if pkg_info.is_file():
        meta = email.parser.Parser().parsestr(
            pkg_info.read_text(encoding="utf-8", errors="replace")
        )
        if meta.get("Version") and (name is None or _same_name(meta.get("Name"), name)):
            return Version(canonical(meta["Version"]), "PKG-INFO")
    if _git(source, "rev-parse", "--is-inside-work-tree", check=False) == "true":
        return Version(_from_git(source), "git")
    raise VersionError(
        f"{source}: neither PKG-INFO (an unpacked sdist) nor a git checkout; "
        "pass --version to say which version this is"
    )


def _same_name(a: str | None, b: str) -> bool:
    def norm(s):
        return re.sub(r"[-_.]+", "-", s or "").lower()

    return norm(a) == norm(b)


def _git(source: Path, *args: str, check: bool = True) -> str:
    try:
        done = subprocess.run(
            ["git", "-C", str(source), *args], capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        raise VersionError("git is not installed; it is needed to version a checkout") from None
    if check and done.returncode != 0:
        raise VersionError(f"git {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout.strip()


def _last_tag(source: Path) -> tuple[SemanticVersion | None, str, int]:
    """The highest version tag on the newest tagged commit reachable from HEAD,
    and how many commits HEAD is past it (pbr's `_get_revno_and_last_tag`)."""
    log = _git(source, "log", "--format=%H%x00%D", "HEAD")
    distance = 0
    for distance, row in enumerate(log.splitlines()):
        _, _, refs = row.partition("\0")
        tags = [r.strip().removeprefix("tag: ") for r in refs.split(",") if "tag: " in r]
        found = {}
        for tag in tags:
            try:
                found[SemanticVersion.from_pip_string(tag)] = tag
            except (ValueError, TypeError):
                continue
        if found:
            best = max(found)
            return best, found[best], distance
    # like pbr: without any tag, the distance is counted from the first commit
    return None, "", distance


def _from_git(source: Path) -> str:
    target = _setup_cfg_version(source)
    last, tag, distance = _last_tag(source)
    last = last or SemanticVersion.from_pip_string("0")
    if distance == 0:
        return last.release_string()
    span = f"{tag}..HEAD" if tag else "HEAD"
    symbols = set()
    for line in _SEMVER_LINE.findall(_git(source, "log", "--format=%B", span)):
        symbols |= {s.strip() for s in line.split(",")}
    kwargs = {_IMPACT[s]: True for s in symbols if s in _IMPACT}
    new = last.increment(**kwargs)
    if target is not None:
        if new > target:
            raise VersionError(
                f"git history requires a target version of {new.release_string()}, "
                f"but setup.cfg says {target.release_string()}"
            )
        if target.to_dev(distance) > new.to_dev(distance):
            return target.to_dev(distance).release_string()
    return new.to_dev(distance).release_string()


def _setup_cfg_version(source: Path) -> SemanticVersion | None:
    cfg = configparser.ConfigParser(interpolation=None)
    try:
        cfg.read(source / "setup.cfg", encoding="utf-8")
    except configparser.Error:
        return None
    text = cfg.get("metadata", "version", fallback="").strip()
    return SemanticVersion.from_pip_string(text) if text else None
