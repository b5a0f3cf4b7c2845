"""Text in both themes meets WCAG AA contrast (4.5:1 for normal text)."""

import pytest

from chat.ui.look import AVATAR_COLORS
from chat.ui.theme import DARK, LIGHT, TEXT_PAIRS

AA_NORMAL_TEXT = 4.5


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(hex_color: str) -> float:
    """WCAG 2 relative luminance of '#RRGGBB'."""
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio, 1 to 21."""
    light, dark = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_contrast_formula_matches_known_values():
    assert contrast("#FFFFFF", "#000000") == pytest.approx(21.0)
    assert contrast("#777777", "#FFFFFF") == pytest.approx(4.48, abs=0.01)  # the classic just-fails grey


@pytest.mark.parametrize("mode, roles", [("light", LIGHT), ("dark", DARK)])
def test_every_text_colour_on_its_background_meets_aa(mode, roles):
    failing = {
        f"{text} on {background}": round(contrast(roles[text], roles[background]), 2)
        for text, background in TEXT_PAIRS
        if contrast(roles[text], roles[background]) < AA_NORMAL_TEXT
    }
    assert not failing, f"{mode} theme, below {AA_NORMAL_TEXT}:1: {failing}"


def test_white_initials_read_on_every_avatar_colour():
    failing = {c: round(contrast("#FFFFFF", c), 2) for c in AVATAR_COLORS if contrast("#FFFFFF", c) < AA_NORMAL_TEXT}
    assert not failing, failing
