"""The first load and the HTTP policy in Debian's Chromium (issue 8 point 4, issue 9 point 6).

- A cold load transfers at most 5 MB and asks no host but the app's own:
  every other request is recorded and refused, as on a machine without
  internet. The Content-Security-Policy reports no violation while a person
  joins and posts.
- "héllo 😀 你好 こんにちは" paints as glyphs: OCR (Chinese and Japanese models)
  reads the CJK text, and the emoji brings colour a box would not.
- A page on another loopback port that frames Confab is refused; with
  CHAT_FRAME_ANCESTORS naming that page, the frame loads.
"""

from __future__ import annotations

import contextlib
import http.server
import io
import subprocess
import threading
import time

import pytest

from tests.browser_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    FIRST_PAINT_TIMEOUT,
    NAME_FIELD,
    artifacts_dir,
    enable_semantics,
    join,
    missing_tools,
    run_confab,
    say,
    wait_for_text,
)

if (reason := missing_tools()) is not None:
    pytest.skip(reason, allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (never `playwright install`)")

pytestmark = pytest.mark.browser

COLD_LOAD_BUDGET = 5_000_000
MESSAGE = "héllo 😀 你好 こんにちは"
CSP_WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) =>
  window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI));
"""


@pytest.fixture(scope="module")
def bot_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("bot")


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _loopback_only(context, url: str) -> list[str]:
    """Let requests to `url` through; record and refuse every other one."""
    outside: list[str] = []

    def route(request_route):
        target = request_route.request.url
        if target.startswith(url + "/") or target == url:
            request_route.continue_()
        else:
            outside.append(target)
            request_route.abort()

    context.route("**/*", route)
    return outside


def test_a_cold_load_is_small_local_and_within_the_policy_and_paints_emoji_and_cjk(
    browser, bot_dir, cache_dir, tmp_path
):
    log = artifacts_dir() / "server-first-load.log"
    with run_confab(bot_dir, tmp_path, log, CHAT_CACHE_DIR=str(cache_dir)) as url:
        context = browser.new_context(viewport={"width": 1280, "height": 800}, device_scale_factor=2)
        context.add_init_script(CSP_WATCH)
        outside = _loopback_only(context, url)
        console: list[str] = []
        page = context.new_page()
        page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        transferred: dict[str, int] = {}
        cdp.on("Network.loadingFinished", lambda e: transferred.__setitem__(e["requestId"], e["encodedDataLength"]))
        page.goto(url + "/", wait_until="load")
        enable_semantics(page)
        page.wait_for_selector(NAME_FIELD, timeout=FIRST_PAINT_TIMEOUT * 1000)
        time.sleep(2)  # fonts the first frame asked for
        cold_bytes = sum(transferred.values())
        (artifacts_dir() / "first-load-network.txt").write_text(f"{cold_bytes} bytes\noutside: {outside}\n")
        assert outside == [], outside
        assert cold_bytes <= COLD_LOAD_BUDGET, f"a cold load transferred {cold_bytes:,} bytes"
        assert cold_bytes > 1_000_000  # the measurement saw the engine itself

        before = page.screenshot()
        join(page, "Ann")
        say(page, MESSAGE)
        wait_for_text(page, "héllo")
        _wait_for_cjk(page)
        shot = _wait_for_colour(page, baseline=_colourful_pixels(before))
        (artifacts_dir() / "emoji-cjk.png").write_bytes(shot)
        assert outside == [], outside  # the fallback fonts came from here too
        violations = page.evaluate("window.__cspViolations")
        assert violations == [], violations
        assert not [line for line in console if "Content Security Policy" in line or "Refused" in line], console
        context.close()


def _wait_for_cjk(page, timeout: float = 60.0) -> bytes:
    # The fallback font slices are cut on the server the first time anyone needs them.
    deadline = time.monotonic() + timeout
    while True:
        page.bring_to_front()
        png = page.screenshot()
        # Read the band where the first message sits (below the day heading and the join
        # line, left of the people list): the rest of the page only gives tesseract more to misread.
        seen = _ocr_cjk(page.screenshot(clip={"x": 0, "y": 120, "width": 1100, "height": 100}))
        # 好 and the kana are enough: an empty box is never read as them, while tesseract
        # now and then reads 你 as 作 even when it is painted perfectly.
        if "好" in seen and "こんにちは" in seen:
            return png
        if time.monotonic() > deadline:
            (artifacts_dir() / "timeout-cjk.png").write_bytes(png)
            raise AssertionError(f"CJK text not painted as glyphs; OCR read: {seen!r}")
        time.sleep(1)


def _wait_for_colour(page, baseline: int, timeout: float = 30.0) -> bytes:
    # The emoji font is a fallback of its own, fetched after the CJK one on a slow run.
    deadline = time.monotonic() + timeout
    while True:
        png = page.screenshot()
        if _colourful_pixels(png) > baseline + 200:
            return png
        if time.monotonic() > deadline:
            (artifacts_dir() / "timeout-emoji.png").write_bytes(png)
            raise AssertionError("the emoji did not paint in colour")
        time.sleep(1)


def _ocr_cjk(png: bytes) -> str:
    languages = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True).stdout.split()
    if not {"chi_sim", "jpn"} <= set(languages):
        pytest.skip("tesseract's Chinese and Japanese models are missing (apt-get install tesseract-ocr-chi-sim tesseract-ocr-jpn)")
    # Two readings: the default one, and local thresholding for text on a tinted bubble
    # (the own-message fill makes the default reading garble CJK now and then).
    readings = []
    for options in ([], ["--psm", "11", "-c", "thresholding_method=2"]):
        done = subprocess.run(
            ["tesseract", "stdin", "stdout", "-l", "chi_sim+jpn+eng", *options],
            input=png, capture_output=True, timeout=120, check=True,
        )
        readings.append("".join(done.stdout.decode("utf-8", "replace").split()))
    return " | ".join(readings)


def _colourful_pixels(png: bytes) -> int:
    # Emoji yellow (the grinning face is #FCC21B-ish); nothing else in the room is that saturated.
    from PIL import Image

    rgb = Image.open(io.BytesIO(png)).convert("RGB").tobytes()
    return sum(1 for i in range(0, len(rgb), 3) if rgb[i] > 200 and 140 < rgb[i + 1] < 230 and rgb[i + 2] < 90)


# ---- framing


@contextlib.contextmanager
def framing_page():
    """A page on another loopback port whose only content is an iframe; yields (its URL, frame it)."""
    target = {"url": "about:blank"}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            html = f'<!doctype html><title>framer</title><iframe src="{target["url"]}/" width="800" height="600"></iframe>'
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(html.encode())

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", lambda url: target.update(url=url)
    finally:
        server.shutdown()


def _framed_app_loads(browser, framer: str, confab: str, name: str) -> tuple[bool, list[str]]:
    context = browser.new_context()
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    page.goto(framer + "/")
    deadline = time.monotonic() + 45
    loaded = False
    while time.monotonic() < deadline and not loaded:
        frame = next((f for f in page.frames if f.url.startswith(confab)), None)
        if frame is not None:
            with contextlib.suppress(Exception):
                loaded = frame.evaluate("() => !!document.querySelector('flutter-view, flt-glass-pane')")
        if any("frame-ancestors" in line for line in console):
            break
        time.sleep(0.25)
    page.screenshot(path=str(artifacts_dir() / f"framing-{name}.png"))
    context.close()
    return loaded, console


def test_another_site_cannot_frame_the_room_unless_configured(browser, bot_dir, cache_dir, tmp_path):
    with framing_page() as (framer, frame):
        with run_confab(bot_dir, tmp_path, artifacts_dir() / "server-framing.log", CHAT_CACHE_DIR=str(cache_dir)) as url:
            frame(url)
            loaded, console = _framed_app_loads(browser, framer, url, "refused")
        assert not loaded
        assert any("frame-ancestors" in line for line in console), console

        # The same page may frame it once CHAT_FRAME_ANCESTORS names it: the check above can see a load.
        allowed_db = tmp_path / "allowed"
        allowed_db.mkdir()
        with run_confab(
            bot_dir,
            allowed_db,
            artifacts_dir() / "server-framing-allowed.log",
            CHAT_CACHE_DIR=str(cache_dir),
            CHAT_FRAME_ANCESTORS=f"'self' {framer}",
        ) as url:
            frame(url)
            loaded, console = _framed_app_loads(browser, framer, url, "allowed")
        assert loaded, console
