"""What an interface's page shows: the contract (its README), the schema and
data files as written (comments are half the documentation, so the text is
shown, not a re-serialisation), and the parameters every implementation
declares. The manifest formats (interfaces/manifest/v<N>) get a page too:
they are the contract every bundle implements.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..interfaces import MANIFEST_FORMATS
from .bundles import Parameter, parameters

README = "README.md"
DEFINITION = "interface.yaml"
SCHEMA = "schema.yaml"
# Files of a manifest format, in the order its page shows them.
FORMAT_FILES = ("schema.yaml", "stack.yaml", "changelog.yaml")


@dataclass
class Text:
    name: str  # file name inside the interface folder
    text: str


@dataclass
class Contract:
    ref: str
    status: str
    summary: str
    since: str = ""
    replaced_by: str = ""
    is_format: bool = False
    parameters: list[Parameter] = field(default_factory=list)
    readme: str | None = None
    schemas: list[Text] = field(default_factory=list)
    data: list[Text] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.ref.split("/")[0]


def _read(path) -> str | None:
    try:
        return path.read_text(encoding="utf-8") if path.is_file() else None
    except (OSError, UnicodeDecodeError):
        return None


def _texts(folder, names) -> list[Text]:
    out = []
    for name in names:
        text = _read(folder / name)
        if text is not None:
            out.append(Text(name, text))
    return out


def contracts(registry) -> list[Contract]:
    out = []
    for ref, iface in sorted(registry.interfaces.items()):
        folder = registry.folder(ref)
        extra = sorted(p.name for p in folder.glob("*.yaml") if p.name not in (DEFINITION, SCHEMA))
        out.append(
            Contract(
                ref=ref,
                status=iface.status,
                summary=iface.summary,
                since=iface.since,
                replaced_by=iface.replaced_by,
                parameters=parameters(iface.parameters),
                readme=_read(folder / README),
                schemas=_texts(folder, [DEFINITION, SCHEMA]),
                data=_texts(folder, extra),
            )
        )
    for major in sorted(registry.formats):
        ref = f"{MANIFEST_FORMATS}/v{major}"
        folder = registry.folder(ref)
        out.append(
            Contract(
                ref=ref,
                status="stable",
                summary="The manifest format every bundle and stack is written in, "
                "and the changelog beside it.",
                is_format=True,
                readme=_read(folder / README),
                schemas=_texts(folder, FORMAT_FILES),
            )
        )
    return out
