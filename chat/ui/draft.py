"""The text a person is writing, tracked from the browser's reports without racing them.

Why: a Flet TextField's value is owned by the server, and the browser
replaces what the person sees whenever the server sends a value. Clearing
the field right after Enter therefore races with typing: letters typed while
the clear is on its way are wiped, or, if the server waits for the field to
match, they merge into the next message ("yessounds good"). Flet 1.0.5 has
no client-side clear, and swapping in a fresh field per message loses the
keys typed while focus moves (tried in Chromium: "sound god").

So Enter never needs the field cleared. The server remembers how much of the
field's text it has sent (`consumed`), and the next Enter sends only what
follows ("yessounds good" sends "sounds good"). The field is tidied (sent
text removed, refused text put back) right after a send when the browser's
last report is exactly the sent text, and otherwise once typing pauses. Only
one tidying write is in flight at a time. If keys still arrive between that
write and the browser applying it, their reports extend the text the write
replaced: they are kept (`_missing`), sent with their message, and written
back at the next tidy. If the browser's own typing overrides the write
instead, its reports keep extending the old text, which is just as exact.

Limits: telling a report made before the write from one made after it
assumes keys are added at the end of the field. Moving the cursor back and
editing, or pasting text that starts with the text being replaced, within
the write's round trip can misplace those keys (never drop a message).
Until a pause the field still shows already-sent text in front of new text.
"""

from __future__ import annotations


class DraftTracker:
    """What the field holds, how much of it is sent, and what a tidy must write."""

    def __init__(self) -> None:
        self.text = ""
        """The field's text as the person means it (the browser's, plus keys a write wiped)."""
        self.consumed = 0
        """Leading characters of `text` already sent or on their way."""
        self._shown = ""
        """The field's text as the browser last reported it."""
        self._returned: list[str] = []
        """Refused messages, to be put back at the next tidy."""
        self._write: tuple[str, str] | None = None
        """(what the browser showed, what the server wrote) until the browser is seen to have it."""
        self._missing: tuple[int, str] | None = None
        """Keys a write wiped: (where in the field they belong, the keys), until written back."""

    @property
    def unsent(self) -> str:
        """What was typed and not yet sent (what a reload should restore)."""
        return self.text[self.consumed :]

    def reported(self, value: str) -> None:
        """The browser says the field now holds `value`."""
        if self._write is not None:
            before, written = self._write
            grows_written = written.startswith(before) and value.startswith(written)
            if value.startswith(before) and len(value) > len(before) and not grows_written:
                # Typed before our write arrived: the write will erase it, so keep it.
                self._missing = (len(written), value[len(before) :])
                self._shown = value
                self.text = written + value[len(before) :]
                return
            self._write = None  # the browser has our write: `value` grew from it
        self._shown = value
        if self._missing is not None:
            at, keys = self._missing
            at = min(at, len(value))
            value = value[:at] + keys + value[at:]
        kept = _common_prefix(self.text[: self.consumed], value)
        self.consumed = min(self.consumed, kept)  # an edit into sent text does not unsend it
        self.text = value

    def take(self) -> str:
        """Enter: what was written since the previous Enter."""
        message = self.text[self.consumed :]
        self.consumed = len(self.text)
        return message

    def give_back(self, message: str) -> None:
        """A refused message goes back into the field at the next tidy."""
        self._returned.append(message)

    def restore(self, text: str) -> None:
        """A remembered draft, to be shown by the next tidy."""
        self.text, self.consumed = text, 0

    @property
    def only_sent_text_shown(self) -> bool:
        """True when the browser's last report is all sent text (nothing typed after Enter yet)."""
        return (
            self._write is None
            and self.consumed > 0
            and self._shown == self.text[: self.consumed] == self.text
        )

    @property
    def untidy(self) -> bool:
        """True when the field shows sent text, lacks wiped keys, or lacks a refused message."""
        return bool(self.consumed or self._returned or self.text != self._shown)

    def tidy(self) -> str:
        """The value to write now: refused messages, then what is unsent."""
        value = (
            "\n".join([*self._returned, self.unsent] if self.unsent else self._returned)
            or self.unsent
        )
        self._returned, self._missing = [], None
        self._write = (self._shown, value)
        self.text, self.consumed = value, 0
        return value

    @property
    def write_pending(self) -> bool:
        """True until the browser is seen to show the last write: a second one would be ambiguous."""
        return self._write is not None

    def assume_landed(self) -> None:
        """No key came for a long while after the write: the browser has it, and nothing raced it."""
        self._write = None


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n
