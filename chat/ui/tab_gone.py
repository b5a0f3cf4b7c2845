"""Updates to a tab that may have gone away meanwhile."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

log = logging.getLogger(__name__)


@contextlib.contextmanager
def unless_tab_gone() -> Iterator[None]:
    """Skip an update whose tab went away under it.

    Flet raises RuntimeError for a destroyed session, and AttributeError
    while a closing socket's send queue is being torn down.
    """
    try:
        yield
    except (RuntimeError, AttributeError) as exc:
        log.debug("skipped an update for a closed session: %r", exc)
