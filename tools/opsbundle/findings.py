"""Findings: what a check reports, and the table of every stable code.

Every check reports through `Finding`, so the three output formats and the exit
code are decided in one place. Codes are stable: tools and suppressions refer to
them, so a code is never reused for another meaning; retire it instead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from .terminal import printable, xml_safe

ERROR = "error"
WARNING = "warning"

# code -> (severity, one-line title). The title is what `--list-codes`
# prints; each finding carries its own specific message.
CODES: dict[str, tuple[str, str]] = {
    # YAML reading (load.py)
    "YML001": (ERROR, "YAML syntax error"),
    "YML002": (ERROR, "duplicate mapping key"),
    "YML003": (ERROR, "tab character in indentation"),
    "YML004": (ERROR, "file is not valid UTF-8"),
    "YML005": (ERROR, "file is empty"),
    "YML006": (ERROR, "unsupported or unsafe YAML tag"),
    "YML007": (ERROR, "aliases expand beyond the node limit"),
    "YML008": (ERROR, "nesting deeper than the depth limit"),
    "YML009": (ERROR, "file larger than the size limit"),
    "YML010": (ERROR, "wrong top-level type"),
    "YML011": (ERROR, "YAML merge keys are not supported"),
    "YML012": (ERROR, "file cannot be read"),
    "YML013": (ERROR, "value does not fit its explicit YAML tag"),
    # schemas (checks/schema.py)
    "SCH001": (ERROR, "manifest does not match its schema"),
    "SCH002": (ERROR, "interface section does not match the interface schema"),
    "SCH003": (ERROR, "unknown manifest format_version"),
    "SCH004": (ERROR, "changelog does not match its schema"),
    # identity (checks/identity.py)
    "MAN001": (ERROR, "name differs from the directory name"),
    "MAN002": (ERROR, "domain differs from the parent directory"),
    "MAN003": (ERROR, "manifest.yaml is missing"),
    # vocabulary (checks/vocabulary.py)
    "VOC001": (ERROR, "unknown service"),
    "VOC002": (ERROR, "unknown host role"),
    # files (checks/files.py)
    "FIL001": (ERROR, "source file does not exist"),
    "FIL002": (ERROR, "source path leaves the bundle"),
    "FIL003": (ERROR, "source is a symlink that leads out of the bundle"),
    "FIL004": (ERROR, "destination is not an absolute path"),
    "FIL005": (ERROR, "destination is not normalised"),
    "FIL006": (ERROR, "two files share one destination"),
    "FIL007": (ERROR, "file mode is not an octal permission"),
    "FIL008": (ERROR, "destination uses an undeclared parameter"),
    "FIL009": (ERROR, "file holding a secret is world-readable"),
    "FIL010": (ERROR, "destination lies inside another file's destination"),
    # deployment data (checks/deploy.py): render-index/v1
    "DEP001": (ERROR, "unknown command name (not in render-index/v1 commands.yaml)"),
    "DEP002": (ERROR, "action is neither a service action nor an apply"),
    "DEP003": (ERROR, "main-configuration edit is incomplete or points outside the bundle"),
    "DEP004": (ERROR, "owned directory is not a parent of any file, or not a clean path"),
    "DEP005": (ERROR, "main-configuration edit uses a secret (it would land in index.json)"),
    # parameters (checks/params.py)
    "PAR001": (ERROR, "secret parameter has a default"),
    "PAR002": (ERROR, "default does not match the parameter type"),
    "PAR003": (ERROR, "example does not match the parameter type"),
    "PAR004": (ERROR, "required parameter also has a default"),
    "PAR005": (ERROR, "optional parameter has no default"),
    "PAR006": (ERROR, "secret parameter is not required"),
    "PAR007": (ERROR, "string parameter declares no format"),
    "PAR008": (ERROR, "parameter format cannot be used (unknown, or bad arguments)"),
    "PAR009": (ERROR, "default or example breaks the parameter's format"),
    # templates (checks/templates.py)
    "TPL001": (ERROR, "template syntax error"),
    "TPL002": (ERROR, "template uses an undeclared variable"),
    "TPL003": (ERROR, "template fails to render with defaults and examples"),
    "TPL004": (ERROR, "template is not valid UTF-8"),
    "TPL005": (WARNING, "parameter is never used by a template or destination"),
    "TPL006": (ERROR, "free text reaches a file without that file's escape filter"),
    "TPL007": (ERROR, "file declares an unknown language"),
    # interfaces (checks/interfaces.py)
    "IFC001": (ERROR, "unknown interface"),
    "IFC002": (WARNING, "interface version is deprecated"),
    "IFC003": (ERROR, "interface version was removed"),
    "IFC004": (ERROR, "interface reference is not name/vN"),
    "IFC005": (ERROR, "implementation lacks a parameter the interface requires"),
    "IFC006": (ERROR, "parameter type differs from the interface"),
    "IFC007": (ERROR, "parameter the interface marks secret is not secret"),
    "IFC008": (ERROR, "parameter format differs from the interface"),
    # service-checks catalog (checks/catalog.py, coverage.py)
    "CAT001": (ERROR, "not_implemented names a check the catalog does not have"),
    # changelog (checks/changelog.py)
    "CHG001": (ERROR, "changelog file is missing"),
    "CHG002": (ERROR, "changelog has no entry for the manifest version"),
    "CHG003": (ERROR, "changelog versions are not in descending order"),
    "CHG004": (ERROR, "changelog lists a version newer than the manifest"),
    "MAN004": (WARNING, "bundle is deprecated"),
    # stacks (checks/stacks.py)
    "STK001": (ERROR, "stack references a bundle that does not exist"),
    "STK002": (ERROR, "bundle version does not satisfy the stack constraint"),
    "STK003": (ERROR, "required interface is not provided by the stack"),
    "STK004": (ERROR, "two stack members write the same destination"),
    "STK005": (ERROR, "value given for an undeclared parameter"),
    "STK006": (ERROR, "stack promises an interface no member provides"),
    "STK007": (ERROR, "same bundle listed twice"),
    "STK008": (WARNING, "stack member is deprecated"),
    # version bump against a git ref (checks/bump.py)
    "VER001": (ERROR, "changed bundle did not bump its version"),
    "VER002": (ERROR, "version went down or is not valid semver"),
    # package-build/v1 sections (checks/pkgbuild.py) and builds (pkgbuild/)
    "PKG001": (ERROR, "package-build section lacks a template its family renders"),
    "PKG002": (ERROR, "package-build template is missing or leaves the bundle"),
    "PKG003": (ERROR, "package-build project cannot be built"),
    # values a deployment supplies (values.py)
    "VAL001": (ERROR, "value breaks its parameter's format"),
    "VAL002": (ERROR, "value has the wrong type"),
    "VAL003": (ERROR, "value for a parameter no bundle declares"),
    "VAL004": (ERROR, "required parameter has no value"),
    "VAL005": (ERROR, "--set is not KEY=VALUE"),
    "VAL006": (ERROR, "secret reference cannot be read, or is not for a secret"),
    # native engines (engines/)
    "NAT001": (ERROR, "native engine rejected the rendered configuration"),
    "NAT002": (ERROR, "native engine required (--require-native) but not installed"),
    "NAT003": (ERROR, "emulated engine (a strict schema of the tool's format) rejected it"),
}


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    path: str
    message: str
    line: int = 1
    col: int = 1
    hint: str = ""
    bundle: str = ""

    @property
    def severity(self) -> str:
        return CODES[self.code][0]

    def as_text(self) -> str:
        where = f"{self.path}:{self.line}:{self.col}" if self.line else self.path
        text = f"{where}: {self.code} {self.message}"
        if self.hint:
            text += f" (hint: {self.hint})"
        return printable(text)

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "severity": self.severity,
            "path": self.path,
            "line": self.line,
            "col": self.col,
            "message": self.message,
            "hint": self.hint,
            "bundle": self.bundle,
        }


@dataclass
class Report:
    """All findings of one run, plus which bundles were checked and what was skipped."""

    checked: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == WARNING]

    def failed(self, warnings_are_errors: bool = False) -> bool:
        return bool(self.errors or (warnings_are_errors and self.warnings))

    def sorted_findings(self) -> list[Finding]:
        return sorted(self.findings, key=lambda f: (f.path, f.line, f.col, f.code))

    def summary(self) -> str:
        e, w = len(self.errors), len(self.warnings)
        bad = len({f.bundle for f in self.errors})
        verdict = "FAIL" if e else "ok"
        return (
            f"{verdict}: {len(self.checked)} bundle(s) checked, {bad} with errors; "
            f"{e} error(s), {w} warning(s)"
        )

    def as_text(self) -> str:
        lines = [f.as_text() for f in self.sorted_findings()]
        lines += [printable(f"note: {n}") for n in self.notes]
        lines.append(self.summary())
        return "\n".join(lines)

    def as_json(self) -> str:
        return json.dumps(
            {
                "checked": self.checked,
                "findings": [f.as_dict() for f in self.sorted_findings()],
                "notes": self.notes,
                "errors": len(self.errors),
                "warnings": len(self.warnings),
                "summary": self.summary(),
            },
            indent=2,
        )

    def as_junit(self) -> str:
        """One testcase per bundle; each error finding is a <failure> of its bundle."""
        from xml.sax.saxutils import escape, quoteattr  # imports urllib: only when asked

        by_bundle: dict[str, list[Finding]] = {b: [] for b in self.checked}
        for f in self.sorted_findings():
            by_bundle.setdefault(f.bundle or f.path, []).append(f)
        cases = []
        for bundle, found in by_bundle.items():
            errors = [f for f in found if f.severity == ERROR]
            body = "".join(
                f"<failure type={quoteattr(f.code)} message={quoteattr(xml_safe(f.message))}>"
                f"{escape(xml_safe(f.as_text()))}</failure>"
                for f in errors
            )
            out = "\n".join(f.as_text() for f in found if f.severity == WARNING)
            if out:
                body += f"<system-out>{escape(xml_safe(out))}</system-out>"
            cases.append(
                f'  <testcase classname="opsbundle.validate" name={quoteattr(xml_safe(bundle))}>'
                f"{body}</testcase>"
            )
        failures = sum(1 for b in by_bundle.values() if any(f.severity == ERROR for f in b))
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<testsuite name="opsbundle validate" tests="{len(by_bundle)}" '
            f'failures="{failures}" errors="0">\n' + "\n".join(cases) + "\n</testsuite>"
        )
