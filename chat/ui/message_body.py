"""A message's text as controls: safe Markdown, code in a monospace font, a copy button per block."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import lru_cache
from typing import Any

import flet as ft

from chat.ui.markdown_safety import SafeMarkdown

CODE_FONT = "Confab Mono"
"""DejaVu Sans Mono (Latin, symbols, box drawing), served from assets/fonts: no outside host,
and the browser has no monospace font of its own that Flutter's canvas could use."""
CODE_FONT_FILE = "fonts/DejaVuSansMono-subset.ttf"

# The dark code theme colours tokens only; plain code text needs a light colour of its own.
CODE_STYLE = ft.MarkdownStyleSheet(
    code_text_style=ft.TextStyle(color="#ABB2BF", font_family=CODE_FONT, size=13),
    codeblock_decoration=ft.BoxDecoration(bgcolor="#282C34", border_radius=6),
    codeblock_padding=ft.Padding.all(10),
)

# Flutter's default link blue fails contrast on the own-message bubble (2.4:1);
# the theme's primary colour, underlined, reads in light and dark alike.
_LINK = ft.TextStyle(color=ft.Colors.PRIMARY, decoration=ft.TextDecoration.UNDERLINE)
# A mention is written bold (see markdown_safety); in a message with one, bold is coloured too.
_MENTION = ft.TextStyle(color=ft.Colors.TERTIARY, weight=ft.FontWeight.BOLD)
# Inline code: the code font on a faint shade (the code sheet styles only fenced blocks).
_INLINE_CODE = ft.TextStyle(
    font_family=CODE_FONT, size=13, bgcolor=ft.Colors.with_opacity(0.08, ft.Colors.ON_SURFACE)
)


@lru_cache(maxsize=8)
def _sheet(link: bool, mention: bool, inline_code: bool) -> ft.MarkdownStyleSheet | None:
    """The one style sheet for each mix (shared by every row that has that mix)."""
    if not (link or mention or inline_code):
        return None
    return ft.MarkdownStyleSheet(
        a_text_style=_LINK if link else None,
        strong_text_style=_MENTION if mention else None,
        code_text_style=_INLINE_CODE if inline_code else None,
    )


MENTION_TINT = ft.Colors.with_opacity(0.10, ft.Colors.TERTIARY)
MENTION_BAR = ft.Border.only(left=ft.BorderSide(3, ft.Colors.TERTIARY))
"""A message that mentions the person reading it: tinted, with a bar on its left."""


def markdown_body(
    safe: SafeMarkdown,
    on_tap_link: Callable[[ft.Event], Awaitable[Any]],
    on_copy: Callable[[ft.Event], Awaitable[Any]],
) -> ft.Control:
    """The Markdown control for `safe`, followed by copy buttons when it holds code blocks.

    The style sheets are sent only to rows that need them: each is about a
    hundred more fields per row to send and keep.
    """
    style: dict[str, Any] = {}
    if "`" in safe.markdown:
        style.update(code_theme=ft.MarkdownCodeTheme.ATOM_ONE_DARK, code_style_sheet=CODE_STYLE)
    sheet = _sheet("](" in safe.markdown, safe.has_mention, safe.has_inline_code)
    if sheet is not None:
        style["md_style_sheet"] = sheet
    markdown = ft.Markdown(
        safe.markdown,
        # Not selectable: each message would be a Tab stop with nothing to show (see ChatMessage).
        soft_line_break=True,  # a line written with Shift+Enter shows as its own line
        extension_set=ft.MarkdownExtensionSet.GITHUB_WEB,
        on_tap_link=on_tap_link,
        **style,
    )
    if not safe.code_blocks:
        return markdown
    # The row's accessible name reads the text; only the buttons are left for screen readers.
    unread_markdown = ft.Semantics(content=markdown, exclude_semantics=True)
    return ft.Column([unread_markdown, copy_buttons(safe, on_copy)], spacing=2, tight=True)


def copy_buttons(safe: SafeMarkdown, on_copy: Callable[[ft.Event], Awaitable[Any]]) -> ft.Control:
    """One button per code block; its `data` is the block's index (the row holds the code)."""
    many = len(safe.code_blocks) > 1
    buttons: list[ft.Control] = [
        ft.TextButton(
            f"Copy {block.language or 'code'}" + (f" ({index + 1})" if many else ""),
            icon=ft.Icons.CONTENT_COPY,
            data=index,
            on_click=on_copy,
            style=ft.ButtonStyle(padding=ft.Padding.symmetric(horizontal=8)),
        )
        for index, block in enumerate(safe.code_blocks)
    ]
    return ft.Row(buttons, spacing=4, wrap=True)
