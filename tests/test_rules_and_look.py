"""Name rules, message rules, link sanitising, avatar colours, mentions."""

import subprocess
import sys

import pytest

from chat.bot.context import imagine_prompt, mentions, strip_mention
from chat.names import clean_name
from chat.rules import Rejected, clean_message
from chat.ui.look import avatar_color, initials, is_safe_link, safe_markdown

RESERVED = ("bot", "Confab Bot", "system")


@pytest.mark.parametrize("raw, expected", [("  Alice  ", "Alice"), ("Ada Lovelace", "Ada Lovelace"), ("é" * 32, "é" * 32)])
def test_names_are_trimmed_and_accepted(raw, expected):
    assert clean_name(raw, max_chars=32, reserved=RESERVED) == expected


@pytest.mark.parametrize(
    "raw, reason",
    [
        ("", "enter a name"),
        ("   ", "enter a name"),
        ("x" * 33, "too long"),
        ("Al\x07ice", "control"),
        ("Al\u200bice", "invisible"),
        ("BOT", "reserved"),
        ("@bot", "reserved"),
        ("confab bot", "reserved"),
    ],
)
def test_bad_names_are_refused_with_a_reason(raw, reason):
    with pytest.raises(Rejected, match=reason):
        clean_name(raw, max_chars=32, reserved=RESERVED)


def test_messages_blank_long_and_fine():
    assert clean_message("  \n\t ", max_chars=10) is None
    assert clean_message("  hi  ", max_chars=10) == "hi"
    assert clean_message("x" * 10, max_chars=10) == "x" * 10
    with pytest.raises(Rejected, match="11 characters long; the limit is 10"):
        clean_message("x" * 11, max_chars=10)


@pytest.mark.parametrize(
    "url, safe",
    [
        ("https://example.com", True),
        ("HTTP://example.com", True),
        ("mailto:a@b.c", True),
        ("javascript:alert(1)", False),
        ("data:text/html,hi", False),
        ("file:///etc/passwd", False),
        ("/relative", False),
    ],
)
def test_only_http_https_mailto_links_are_safe(url, safe):
    assert is_safe_link(url) is safe


def test_safe_markdown_neutralises_links_and_images():
    text = (
        "[ok](https://a.example) [bad](javascript:alert(1)) <javascript:x> <https://b.example> "
        "![cat](https://c.example/cat.png) ![x](file:///etc/passwd)\n\n[ref]: javascript:evil"
    )
    out = safe_markdown(text)
    assert "[ok](https://a.example)" in out
    assert "javascript:alert" not in out and "bad" in out
    assert "<javascript:x>" not in out
    assert "](https://b.example)" in out  # an autolink is written out as a plain link
    assert "![" not in out  # no image is ever fetched
    assert "[Image: cat](https://c.example/cat.png)" in out
    assert "file:" not in out
    assert "javascript:evil" not in out


def test_safe_markdown_keeps_code_and_plain_text():
    text = "Use `print(1)`\n\n```python\nx = [1](2)\n```"
    assert "print(1)" in safe_markdown(text)


def test_avatar_colour_is_stable_across_processes():
    names = ["Alice", "Bob", "Carol", "bot", "Zoë"]
    here = [avatar_color(n) for n in names]
    code = "from chat.ui.look import avatar_color; print(','.join(avatar_color(n) for n in %r))" % names
    for seed in ("1", "2"):  # a different hash seed must not change a colour
        other = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True,
            env={"PYTHONHASHSEED": seed, "PYTHONPATH": "."},
        ).stdout.strip().split(",")
        assert other == here
    assert avatar_color("alice") == avatar_color("Alice")
    assert len(set(here)) >= 4


def test_initials():
    assert initials("Ada Lovelace") == "AL"
    assert initials("bob") == "B"
    assert initials("mary-jane watson") == "MJ"
    assert initials("  ") == "?"


@pytest.mark.parametrize(
    "text, mentioned",
    [
        ("@bot hi", True),
        ("hey @Bot?", True),
        ("(@BOT) please", True),
        ("@bot, what now", True),
        ("@bots are cool", False),
        ("mail me@bot.com", False),
        ("@bot_x", False),
        ("@bot-y", False),
        ("bot without at", False),
        ("email@bot", False),
    ],
)
def test_mention_table(text, mentioned):
    assert mentions(text, "bot") is mentioned


def test_mention_helpers():
    assert strip_mention("@bot  tell me", "bot") == "tell me"
    assert imagine_prompt("@bot /imagine a red fox", "bot") == "a red fox"
    assert imagine_prompt("@bot /IMAGINE", "bot") == ""
    assert imagine_prompt("@bot imagine that", "bot") is None
