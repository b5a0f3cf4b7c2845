"""Drift guards: Confab's copies of Flet's files stay Flet's files plus marked additions."""

from __future__ import annotations

import difflib
import re
from importlib.resources import files

import pytest

from chat.web import ASSETS_DIR

MARK = re.compile(r"^\s*<!--\s*confab:")
VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
OPENING = re.compile(r"^(\s*)<([a-zA-Z][\w-]*)")


class UnmarkedRule(ValueError):
    """A confab comment is not followed by something the rule can delimit."""


def without_confab_additions(lines: list[str]) -> list[str]:
    """`lines` minus every marked addition (the rule documented at the top of assets/index.html)."""
    kept: list[str] = []
    i = 0
    while i < len(lines):
        if not MARK.match(lines[i]):
            kept.append(lines[i])
            i += 1
            continue
        while "-->" not in lines[i]:  # the comment itself, however many lines
            i += 1
        i += 1
        if i >= len(lines) or not lines[i].strip():
            continue  # a note that marks only itself
        i = _end_of_element(lines, i) + 1
    return kept


def _end_of_element(lines: list[str], start: int) -> int:
    """Index of the line that closes the element opening on `lines[start]`."""
    opening = OPENING.match(lines[start])
    if opening is None:
        raise UnmarkedRule(f"line {start + 1}: a confab comment must be followed by an element")
    indent, tag = opening.group(1), opening.group(2).lower()
    first = lines[start]
    if tag in VOID_TAGS or first.rstrip().endswith("/>") or f"</{tag}>" in first.lower():
        return start
    for j in range(start + 1, len(lines)):
        if lines[j].lower().startswith(f"{indent}</{tag}>"):
            return j
    raise UnmarkedRule(f"line {start + 1}: <{tag}> is never closed at the same indentation")


def comparable(text: str) -> list[str]:
    """Lines without trailing spaces, blank lines dropped (spacing is not drift)."""
    return [line.rstrip() for line in text.splitlines() if line.strip()]


def drift(ours: str, template: str) -> list[str]:
    """A unified diff of what differs apart from marked additions (empty: no drift)."""
    mine = without_confab_additions(ours.splitlines())
    return list(
        difflib.unified_diff(
            comparable(template), comparable("\n".join(mine)), "flet-web template", "assets/index.html",
            lineterm="",
        )
    )


def test_index_html_is_the_pinned_flet_web_template_plus_marked_additions():
    template = (files("flet_web") / "web" / "index.html").read_text(encoding="utf-8")
    ours = (ASSETS_DIR / "index.html").read_text(encoding="utf-8")
    differences = drift(ours, template)
    assert not differences, (
        "assets/index.html drifted from flet-web's web/index.html. Take the new template and re-apply "
        "Confab's marked additions, or mark a new addition with <!-- confab: why -->:\n"
        + "\n".join(differences)
    )
    assert len(ours.splitlines()) > len(template.splitlines())  # the additions are there


TEMPLATE = """<html>
<head>
  <title>Flet</title>
  <link rel="manifest" href="manifest.json">
</head>
</html>
"""


def test_a_marked_script_and_a_marked_meta_line_are_allowed():
    ours = TEMPLATE.replace(
        '  <link rel="manifest"',
        '  <!-- confab: theme colour -->\n  <meta name="theme-color" content="#123">\n'
        "  <!-- confab: a script\n       over two comment lines -->\n  <script>\n    x();\n  </script>\n"
        '  <link rel="manifest"',
    )
    assert drift(ours, TEMPLATE) == []


@pytest.mark.parametrize(
    "change",
    [
        # an unmarked addition
        lambda t: t.replace("<title>", '<meta name="x" content="y">\n  <title>'),
        # a marked addition that also edits the template line after it
        lambda t: t.replace("  <title>Flet</title>", "  <!-- confab: x -->\n  <meta name=x>\n  <title>Confab</title>"),
        # a template line removed
        lambda t: t.replace('  <link rel="manifest" href="manifest.json">\n', ""),
        # a template line changed (an upgrade of flet-web that Confab's copy did not follow)
        lambda t: t.replace("manifest.json", "site.webmanifest"),
    ],
)
def test_anything_else_is_drift(change):
    assert drift(change(TEMPLATE), TEMPLATE) != []


def test_a_marked_element_that_never_closes_is_an_error():
    ours = TEMPLATE.replace("  <title>", "  <!-- confab: x -->\n  <script>\n  <title>")
    with pytest.raises(UnmarkedRule):
        drift(ours, TEMPLATE)
