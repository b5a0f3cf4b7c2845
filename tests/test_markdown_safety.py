"""The sanitiser: no hostile form survives as an image, unsafe link or HTML; code is untouched."""

from __future__ import annotations

import itertools
import random

import pytest

from chat.ui.markdown_safety import safe_markdown
from tests.hostile_markdown import HOSTILE
from tests.markdown_checks import client_problems

TRACKER = "http://127.0.0.1:9/t"


@pytest.mark.parametrize("text", [h.format(t=TRACKER) for h in HOSTILE])
def test_no_hostile_form_survives(text):
    out = safe_markdown(text)
    assert client_problems(out) == [], out
    assert client_problems(safe_markdown(out)) == []  # and the output is safe to sanitise again


def test_random_mixtures_of_hostile_forms_stay_safe():
    rng = random.Random(9)
    parts = [h.format(t=TRACKER) for h in HOSTILE] + ["> ", "- ", "1. ", "`", "\n", "\n\n", "[", "]", "(", ")"]
    for _ in range(300):
        text = "".join(rng.choice(parts) for _ in range(rng.randint(2, 8)))
        out = safe_markdown(text)
        assert client_problems(out) == [], (text, out)


def test_code_is_never_touched():
    text = "Use `arr[i](x)` or ``a`b``\n\n```python\nx = [1](2)\n![a](http://t/)\n<b>\n```\n\n    indented ![i](x)"
    out = safe_markdown(text)
    assert "`arr[i](x)`" in out
    assert "``a`b``" in out
    assert "```python\nx = [1](2)\n![a](http://t/)\n<b>\n```" in out
    assert "indented ![i](x)\n" in out


def test_images_become_links_and_safe_links_stay():
    out = safe_markdown("[ok](https://a.example) <https://b.example> ![cat](https://c.example/cat.png)")
    assert "[ok](https://a.example)" in out
    assert "(https://b.example)" in out
    assert "[Image: cat](https://c.example/cat.png)" in out
    assert safe_markdown("![x](file:///etc/passwd)") == "Image: x"


def test_a_link_whose_words_name_another_site_shows_where_it_goes():
    # A link's target is not shown on hover in the client: words that name a site must not lie.
    out = safe_markdown("log in at [https://bank.example/login](https://evil.example/phish)")
    assert out.endswith("bank.example/login](https://evil.example/phish) (evil.example)")
    out = safe_markdown("[www.bank.example](https://xn--bnk-sna.example/)")  # a look-alike
    assert out.endswith("(xn--bnk-sna.example)")
    # Honest words stay as they are: the same site, or words that name no site.
    assert safe_markdown("[https://a.example/x](https://a.example/y)").endswith("(https://a.example/y)")
    assert safe_markdown("[www.a.example](https://a.example/)").endswith("(https://a.example/)")
    assert safe_markdown("[the docs](https://a.example/)") == "[the docs](https://a.example/)"
    assert safe_markdown("[v1.2](https://a.example/)") == "[v1.2](https://a.example/)"


def test_unsafe_links_keep_their_words_as_text():
    assert safe_markdown("[tap me](/relative)") == "tap me"
    assert safe_markdown("[x](javascript:alert(1))") == "x"


def test_bare_urls_are_linked_only_for_http():
    out = safe_markdown("see https://example.com/a_b?x=1&y=2 or www.example.org, not ftp://x.example/f")
    assert "(https://example.com/a_b?x=1&y=2)" in out
    assert "(http://www.example.org)" in out
    assert "ftp\\://x.example/f" in out


def test_plain_text_reads_the_same():
    text = "Hello, world! 3 < 4 & 5 > 2; 50% of *this* is **bold**, ~~gone~~; 1. not a list"
    out = safe_markdown(text)
    tokens = [t for block in __import__("tests.markdown_checks", fromlist=["x"])._client_like.parse(out)
              if block.children for t in block.children]
    plain = "".join(t.content for t in tokens if t.type == "text")
    assert plain == "Hello, world! 3 < 4 & 5 > 2; 50% of this is bold, gone; 1. not a list"


def test_structure_survives():
    text = "# Title\n\n> quoted\n\n- a\n- b\n\n1. one\n2. two\n\n| a | b |\n|---|--:|\n| 1 | 2 |\n\nline\\\nbreak"
    out = safe_markdown(text)
    for piece in ("# Title", "> quoted", "- a\n- b", "1. one\n2. two", "| a | b |", "| --- | --: |", "line\\\nbreak"):
        assert piece in out, out


@pytest.mark.parametrize("text", ["", "   ", "\n\n", "@", "`", "```", "![", "<", "&"])
def test_odd_inputs_do_not_crash(text):
    assert client_problems(safe_markdown(text)) == []


def test_mentions_are_bold_outside_code_and_links():
    out = safe_markdown("hi @bob and @Ada_L, mail a@b.example; `@code` [@link](https://x.example)")
    assert "**@bob**" in out and "**@Ada\\_L**" in out
    assert "a@b.example" in out and "`@code`" in out and "[@link](https://x.example)" in out


def test_deep_nesting_is_bounded():
    for text in ("> " * 500 + "x", "- " * 500 + "x", "[" * 2000 + "x" + "](y)" * 2000):
        assert client_problems(safe_markdown(text)) == []


def test_pairs_of_forms_stay_safe():
    forms = [h.format(t=TRACKER) for h in HOSTILE]
    for a, b in itertools.islice(itertools.permutations(forms, 2), 0, None, 7):
        assert client_problems(safe_markdown(a + "\n" + b)) == []


@pytest.mark.parametrize(
    "text",
    ["hello", "Hello there, how are you?", "it's fine. really", "Zoë says 你好", "a quick note 12 zq3k4qz",
     "see www.example.org", "1. not plain", "trailing space ", "two  spaces", "snake_case", "end!"],
)
def test_the_plain_text_shortcut_gives_what_the_parse_gives(text):
    from chat.ui import markdown_safety

    shortcut = markdown_safety.render(text)
    markdown_safety.render.cache_clear()
    original = markdown_safety._PLAIN
    markdown_safety._PLAIN = __import__("re").compile(r"(?!)")  # never plain: always parse
    try:
        parsed = markdown_safety.render(text)
    finally:
        markdown_safety._PLAIN = original
        markdown_safety.render.cache_clear()
    assert shortcut == parsed
