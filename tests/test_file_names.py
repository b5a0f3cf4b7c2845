"""A file's name is shown to everyone in the room: it must say what the file is.

Attacks: a right-to-left override (U+202E) that shows "invoice<RLO>gnp.exe" as
"invoiceexe.png", control characters, a path the browser sent along, a name of nothing.
"""

from __future__ import annotations

import pytest

from chat.attachments import Attachment, file_name
from tests.test_file_http import served_files, upload

pytestmark = pytest.mark.asyncio


@pytest.mark.parametrize(
    "given, shown",
    [
        ("cat.png", "cat.png"),
        ("invoice\u202egnp.exe", "invoicegnp.exe"),  # right-to-left override
        ("a\u2066b\u2069c\u200f.txt", "abc.txt"),  # isolates and marks
        ("line\none\r\ttab.txt", "line one tab.txt"),  # control characters
        ("C:\\fakepath\\report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("Cafe\u0301.txt", "Caf\u00e9.txt"),  # composed (NFC)
        ("Ｃａｆｅ.txt", "Ｃａｆｅ.txt"),  # but not folded (NFKC): the name stays as written
        ("..", "file"),
        ("\u202e\u200b  ", "file"),
        ("", "file"),
        ("x" * 300 + ".png", "x" * 196 + ".png"),  # long names keep their extension
    ],
)
async def test_a_file_name_says_what_the_file_is(given, shown):
    assert file_name(given) == shown


async def test_an_uploaded_or_pasted_file_is_kept_under_its_cleaned_name(tmp_path):
    async with served_files(tmp_path) as (served, http):
        _, _, answer = await upload(
            served, http, b"MZ not really a program", "invoice\u202egnp.exe"
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["attachment"]["name"] == "invoicegnp.exe"
        person = await served.confab.people.create_person("Mallory")
        pasted = await served.confab.uploads.keep(person.id, "general", "\u202epaste\n.png", b"hi")
        assert pasted.name == "paste .png"


async def test_a_name_kept_before_names_were_cleaned_is_shown_clean():
    stored = {
        "id": "f" * 32,
        "name": "invoice\u202egnp.exe",
        "content_type": "text/plain",
        "size": 3,
    }
    assert Attachment.from_json(stored).name == "invoicegnp.exe"
