"""Drive the real Confab web client in Debian's Chromium: a served app, tabs, and OCR.

Flutter paints on a canvas, so a test reads the page the way a person does:
a screenshot, read by the `tesseract` command. Inputs are found through the
semantics tree (real <input>/<textarea> elements with an aria-label).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import time
import urllib.request
import zlib
from pathlib import Path
from typing import Iterator

from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests import live_servers

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NAME_FIELD = 'input[aria-label="Your name"]'
COMPOSER = 'textarea[aria-label="Write a message..."]'
FIRST_PAINT_TIMEOUT = 30.0
"""Seconds Flutter may take to boot on a cold, busy machine (it takes 1-3 s here)."""
ANSWER_TIMEOUT = 30.0
"""Seconds the app may take to answer what a person typed, as the tab shows it (under a second
here). 10 s was too short once: in a rehearsal two tabs answered late together, one of them
painting a page of hostile Markdown, while the other worker's tests loaded both cores; the
server had done its part within 2 s."""


def missing_tools() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    if shutil.which("tesseract") is None:
        return "the tesseract binary is missing (apt-get install tesseract-ocr)"
    return None


def artifacts_dir() -> Path:
    """Where screenshots of every run go (CHAT_ARTIFACTS_DIR, default ./artifacts)."""
    path = Path(os.environ.get("CHAT_ARTIFACTS_DIR") or "artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_SERVE_WITH_ASSETS = (
    "import pathlib, runpy, sys; import chat.web; "
    "chat.web.ASSETS_DIR = pathlib.Path(sys.argv.pop(1)); "
    "runpy.run_path('main.py', run_name='__main__')"
)


@contextlib.contextmanager
def run_confab(
    data_dir: Path, db_dir: Path, log_path: Path, assets_dir: Path | None = None, **env: str
) -> Iterator[str]:
    """`python main.py` as a person runs it, on a free port; yields its URL.

    `data_dir` holds the offline bot's training (reused across servers),
    `db_dir` this server's own database; `assets_dir` replaces the repo's assets.
    """
    port = _free_port()
    environ = {
        **os.environ,
        "CHAT_PORT": str(port),
        "CHAT_DATA_DIR": str(data_dir),
        "DATABASE_URL": f"sqlite:///{db_dir / 'confab.db'}",
        "CHAT_RATE_PER_SECOND": "50",
        "CHAT_RATE_BURST": "50",
        # Every tab here is one person at 127.0.0.1: the per-address limit would count them all.
        "CHAT_ADDRESS_RATE_PER_SECOND": "200",
        "CHAT_ADDRESS_RATE_BURST": "200",
        "FLET_FORCE_WEB_SERVER": "1",
        **env,
    }
    url = f"http://127.0.0.1:{port}"
    with open(log_path, "wb") as log:
        command = [sys.executable, "main.py"]
        if assets_dir is not None:
            command = [sys.executable, "-c", _SERVE_WITH_ASSETS, str(assets_dir)]
        server = subprocess.Popen(command, cwd=REPO, env=environ, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_until_healthy(server, url, log_path)
            live_servers.RUNNING.add(server)
            yield url
        finally:
            live_servers.RUNNING.discard(server)
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _wait_until_healthy(server: subprocess.Popen, url: str, log_path: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"Confab exited with {server.returncode}:\n{log_path.read_text()}")
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(url + "/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        time.sleep(0.1)
    raise TimeoutError(f"Confab did not answer /healthz within {timeout} s:\n{log_path.read_text()}")


# ---- reading what is painted


def normalize(text: str) -> str:
    """Lower case, single spaces: how OCR output is kept for reading."""
    return " ".join(text.lower().split())


def _squeezed(text: str) -> str:
    # OCR drops or adds spaces ("3online"): compare without any.
    return "".join(text.lower().split())


def ocr(png: bytes, local_threshold: bool = False) -> str:
    """The text tesseract reads in a PNG (taken at device scale 2: 14 px text is too small at 1).

    `local_threshold` (Sauvola, sparse text) reads text on mid-tone fills, such
    as dark mode's own-message bubbles, that the default reading drops.
    """
    options = ["--psm", "11", "-c", "thresholding_method=2"] if local_threshold else []
    done = subprocess.run(
        ["tesseract", "stdin", "stdout", *options],
        input=png,
        capture_output=True,
        timeout=60,
        check=True,
    )
    return done.stdout.decode("utf-8", "replace")


def read_screen(page) -> str:
    """Bring the tab to the front (a background tab does not paint) and read it."""
    page.bring_to_front()
    return ocr(page.screenshot())


def wait_for_text(
    page, *needles: str, timeout: float = 30.0, absent: tuple[str, ...] = (), clip: dict | None = None
) -> str:
    """Read the tab until every needle is painted (and no `absent` text is); return the reading.

    `clip` ({x, y, width, height} in CSS pixels) reads only that part: tesseract
    reads one column more reliably than a page of columns.

    On timeout the last screenshot is kept in the artifacts dir and the
    error shows what OCR did read.
    """
    started = time.monotonic()
    deadline = time.monotonic() + timeout
    nudge_at = started + timeout / 2  # a tab that stopped painting (see _waited_for)
    while True:
        page.bring_to_front()
        if nudge_at is not None and time.monotonic() > nudge_at:
            nudge_at = None
            print(f"reading {needles}: {nudge(page)}")
        png = page.screenshot(clip=clip) if clip else page.screenshot()
        seen = normalize(ocr(png))
        if not _shows(seen, needles, absent):
            seen += " | " + normalize(ocr(png, local_threshold=True))
        if not _shows(seen, needles, absent) and clip is None:
            seen += "".join(" | " + _read_where_shown(page, needle) for needle in needles)
        if _shows(seen, needles, absent):
            print(f"read {needles} in {time.monotonic() - started:.1f} s")
            return seen
        if time.monotonic() > deadline:
            name = re.sub(r"\W+", "-", needles[0] if needles else "screen")[:40]
            shot = artifacts_dir() / f"timeout-{name}.png"
            shot.write_bytes(png)
            raise AssertionError(
                f"after {timeout} s the page does not show {needles!r}"
                f"{' without ' + repr(absent) if absent else ''}; OCR read:\n{seen}\n(screenshot: {shot})"
            )
        time.sleep(0.25)


def wait_for_pattern(page, pattern: str, timeout: float = 20.0) -> re.Match:
    """Read the tab until OCR's (lower-cased) reading matches `pattern`; return the match."""
    deadline = time.monotonic() + timeout
    while True:
        page.bring_to_front()
        png = page.screenshot()
        for local_threshold in (False, True):
            found = re.search(pattern, normalize(ocr(png, local_threshold)))
            if found:
                return found
        if time.monotonic() > deadline:
            shot = artifacts_dir() / "timeout-pattern.png"
            shot.write_bytes(png)
            raise AssertionError(f"after {timeout} s nothing painted matches {pattern!r} (screenshot: {shot})")
        time.sleep(0.25)


def _read_where_shown(page, needle: str) -> str:
    """OCR of only the box Flutter's semantics tree gives `needle`'s text ("" if it has none).

    A whole page's columns once made tesseract read "Pineapple belongs on pizza" as
    "reapple belongs on pzza" for 30 s (a CI run, stop 20); one box reads as one line.
    The text must still be painted there: the tree alone proves nothing.
    """
    box = page.evaluate(_SEMANTIC_BOX, normalize(needle))
    if box is None:
        return ""
    return normalize(ocr(page.screenshot(clip=box)))


_SEMANTIC_BOX = """(needle) => {
    let best = null;
    for (const node of document.querySelectorAll("flt-semantics")) {
        if (node.getAttribute("role") === "button") continue;  // "Reply to Ann: <text>": not where it is
        const text = (node.getAttribute("aria-label") || node.textContent || "").toLowerCase();
        if (!text.split(/\\s+/).join(" ").includes(needle)) continue;
        const r = node.getBoundingClientRect();
        if (r.width < 1 || r.height < 1) continue;
        if (best === null || r.width * r.height < best.width * best.height) best = r;
    }
    if (best === null) return null;
    const pad = 6;  // only what is inside the viewport can be read
    const x = Math.max(0, best.x - pad), y = Math.max(0, best.y - pad);
    const width = Math.min(innerWidth, best.right + pad) - x, height = Math.min(innerHeight, best.bottom + pad) - y;
    return width >= 1 && height >= 1 ? {x, y, width, height} : null;
}"""


def _shows(seen: str, needles: tuple[str, ...], absent: tuple[str, ...]) -> bool:
    seen = _squeezed(seen)
    return all(_read(_squeezed(n), seen) for n in needles) and not any(_squeezed(a) in seen for a in absent)


def _read(needle: str, seen: str) -> bool:
    """Whether OCR read `needle` in `seen`, forgiving a misread character in ten.

    Tesseract now and then takes "#" for "+" or loses a letter against an
    icon. Needles with digits (counts, times) must be read exactly, and so
    must short ones.
    """
    if needle in seen:
        return True
    slack = 0 if any(c.isdigit() for c in needle) else len(needle) // 10
    return slack > 0 and _edits_to_nearest_substring(needle, seen) <= slack


def _edits_to_nearest_substring(needle: str, text: str) -> int:
    # Sellers' algorithm: edit distance from `needle` to its best match anywhere in `text`.
    row = [0] * (len(text) + 1)  # a match may start anywhere: no cost before it
    for i, wanted in enumerate(needle, 1):
        previous, row = row, [i] + [0] * len(text)
        for j, got in enumerate(text, 1):
            row[j] = min(previous[j - 1] + (wanted != got), previous[j] + 1, row[j - 1] + 1)
    return min(row)


def pixel(page, x: int, y: int) -> tuple[int, int, int]:
    """The colour painted at CSS pixel (x, y)."""
    png = page.screenshot(clip={"x": x, "y": y, "width": 1, "height": 1}, scale="css")
    return _one_pixel(png)


def _one_pixel(png: bytes) -> tuple[int, int, int]:
    # A 1x1 PNG: its single scanline is a filter byte and one pixel, and every
    # PNG filter leaves the first pixel of the first line as it is.
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat = 8, b""
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos : pos + 8])
        if kind == b"IDAT":
            idat += png[pos + 8 : pos + 8 + length]
        pos += 12 + length
    line = zlib.decompress(idat)
    return line[1], line[2], line[3]


def luminance(rgb: tuple[int, int, int]) -> float:
    """Perceived brightness, 0 (black) to 255 (white)."""
    r, g, b = rgb
    return 0.299 * r + 0.587 * g + 0.114 * b


# ---- what a person does


def open_confab(context, url: str, path: str = "/"):
    """A new tab on Confab with semantics on, once the name dialog is up."""
    page = context.new_page()
    page.goto(url + path, wait_until="load")
    enable_semantics(page)
    wait_for_field(page, NAME_FIELD, FIRST_PAINT_TIMEOUT * 2)
    return page


def wait_for_field(page, field: str, timeout: float = FIRST_PAINT_TIMEOUT) -> None:
    """Wait until `field` (a selector) is on screen, or fail saying what the tab shows instead.

    Polled, with the semantics switch clicked again while it is there: a click that came
    before Flutter listened left the tab without a name field (seen on a busy CI run), and
    once a name field shown a moment before was gone 30 s later (CI, stop 17).
    """
    if _waited_for(page, field, "attached", timeout, shown=True):
        return
    raise AssertionError(f"{field} not shown within {timeout:g} s; the tab: {page.evaluate(_TAB_STATE)}")


def _waited_for(page, selector: str, state: str, timeout: float, shown: bool = False) -> bool:
    """Wait for `selector` to reach `state` (or, `shown`, to be on screen); nudge the tab halfway.

    Under a full run's load, a Chromium tab that had been in the background
    sometimes stopped building frames once in front again: the server had
    answered (its task dump showed nothing waiting) while the tab kept a closed
    dialog, or showed an empty semantics tree, for 30 s (CI, stops 19-21). A
    person's next touch would wake it; here a one-pixel resize does, and the
    output says so.
    """
    for attempt in range(2):
        try:
            if shown:
                page.wait_for_function(_FIELD_SHOWN, arg=selector, polling=500, timeout=timeout * 500)
            else:
                page.wait_for_selector(selector, state=state, timeout=timeout * 500)
            return True
        except PlaywrightTimeoutError:
            if attempt == 0:
                print(f"waiting for {selector} ({state}): {nudge(page)}")
    return False


def nudge(page) -> str:
    """Make a tab that stopped painting build a frame (bring it to front, resize it by a pixel and back).

    The frames it built in the second before are counted with two synchronous scripts and a
    sleep here: a promise waiting on the tab's timers never settled in a stalled tab, and
    page.evaluate has no timeout (a rehearsal hung 10 minutes on one).
    """
    page.evaluate(_COUNT_FRAMES)
    time.sleep(1.0)
    frames = page.evaluate("() => { window.confabFrames.counting = false; return window.confabFrames.n; }")
    page.bring_to_front()
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": size["height"] - 1})
    page.set_viewport_size(size)
    said = f"nudged a tab that built {frames} animation frames in 1 s"
    with open(artifacts_dir() / "nudges.log", "a") as log:  # passing tests' output is not shown
        log.write(f"{time.strftime('%H:%M:%S')} {os.environ.get('PYTEST_CURRENT_TEST', '')}: {said}\n")
    return said


_COUNT_FRAMES = """() => {
    const count = window.confabFrames = {n: 0, counting: true};
    const tick = () => { if (count.counting) { count.n += 1; requestAnimationFrame(tick); } };
    requestAnimationFrame(tick);
}"""


_FIELD_SHOWN = """(field) => {
    document.querySelector("flt-semantics-placeholder")?.click();
    const found = document.querySelector(field);
    return !!found && found.getBoundingClientRect().height > 0;
}"""

_TAB_STATE = """() => ({
    url: location.href,
    visible: document.visibilityState,
    semanticsSwitch: !!document.querySelector("flt-semantics-placeholder"),
    semanticsNodes: document.querySelectorAll("flt-semantics").length,
    inputs: [...document.querySelectorAll("input, textarea")].map(
        (e) => `${e.getAttribute("aria-label")} ${Math.round(e.getBoundingClientRect().height)}px`),
    labels: [...document.querySelectorAll("flt-semantics")].map(
        (e) => e.getAttribute("aria-label") || e.textContent.trim().slice(0, 40)).filter(Boolean).slice(0, 30),
})"""


def enable_semantics(page) -> None:
    """Turn on Flutter's semantics tree, which gives fields real DOM elements."""
    page.wait_for_selector("flt-semantics-placeholder", state="attached", timeout=FIRST_PAINT_TIMEOUT * 1000)
    page.evaluate('document.querySelector("flt-semantics-placeholder")?.click()')


def join(page, name: str) -> None:
    """Type a name in the join dialog, press Enter, wait until the dialog has gone."""
    enter_text(page, NAME_FIELD, name)
    if not _waited_for(page, NAME_FIELD, "detached", ANSWER_TIMEOUT):
        raise AssertionError(f"the name dialog stayed {ANSWER_TIMEOUT:g} s after {name} joined")


def say(page, text: str) -> None:
    """Write `text` (newlines included) in the composer and press Enter."""
    enter_text(page, COMPOSER, text)


def enter_text(page, field: str, text: str, timeout: float = ANSWER_TIMEOUT) -> None:
    """Focus `field`, put `text` in it, press Enter, and wait until the app has taken it.

    Flutter edits text in a DOM element it attaches on focus, and resets that
    element's value from its own state when it attaches: text put in too soon
    is lost. So the value is checked before Enter, and the app's emptying of
    the field afterwards shows the text reached the server.

    Under load, typing into a dialog's field as it opened was once lost another way: the
    DOM element held the text, Flutter's field stayed empty and Enter did nothing. So when
    nothing happens for RETYPE_AFTER seconds the field is focused again, which makes
    Flutter write its own text back: the typed text there means Flutter has it and the
    answer is only slow; an empty field means the typing was lost, and it is typed again.
    """
    page.bring_to_front()
    wait_for_field(page, field)
    deadline = time.monotonic() + timeout
    while True:
        page.click(field)
        while page.evaluate(FOCUSED_VALUE) != text:
            if time.monotonic() > deadline:
                raise AssertionError(f"could not type {text!r} into {field}: it holds {page.evaluate(FOCUSED_VALUE)!r}")
            page.keyboard.press("Control+A")
            page.keyboard.insert_text(text)  # newlines go in as text, not as Enter presses
            time.sleep(0.1)
        page.keyboard.press("Enter")
        if _taken(page, text, min(RETYPE_AFTER, deadline - time.monotonic())):
            return
        if page.query_selector(field) is None:
            return  # the dialog closed as the check ended
        page.evaluate("document.activeElement?.blur()")
        page.click(field)
        time.sleep(0.3)
        if page.evaluate(FOCUSED_VALUE) == text:  # Flutter has it: only the answer is slow
            if _taken(page, text, deadline - time.monotonic()):
                return
            raise AssertionError(f"the app did not take {text!r} from {field} within {timeout:g} s")


RETYPE_AFTER = 5.0


def _taken(page, text: str, seconds: float) -> bool:
    """True once the focused field no longer holds `text` (the app took it), within `seconds`."""
    try:
        page.wait_for_function(f"() => ({FOCUSED_VALUE}) !== {json.dumps(text)}", timeout=max(seconds, 0.1) * 1000)
        return True
    except PlaywrightTimeoutError:
        return False


FOCUSED_VALUE = "document.activeElement?.value ?? null"
"""JavaScript: the text in the focused field (null when no field has focus)."""


def wait_for_focus(page, field: str, timeout: float = 10.0) -> None:
    """Wait until the app has put the cursor in `field` (a selector)."""
    page.wait_for_function(
        f"() => document.activeElement?.matches({json.dumps(field)}) ?? false", timeout=timeout * 1000
    )
