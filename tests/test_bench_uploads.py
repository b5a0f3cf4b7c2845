"""The uploads benchmark (bench/uploads.py), tiny: it runs and reports both figures."""

from __future__ import annotations

import io
import json

from PIL import Image

from bench.uploads import main, noise_png


def test_the_noise_picture_is_a_png_of_about_the_size_asked():
    data = noise_png(0.2)
    assert 0.9 * 200_000 < len(data) < 1.1 * 200_000
    assert Image.open(io.BytesIO(data)).format == "PNG"


def test_a_tiny_run_reports_upload_and_text_times_for_every_session(tmp_path):
    output = tmp_path / "uploads.json"

    assert (
        main(["--sessions", "2", "--repeat", "1", "--megabytes", "0.05", "--output", str(output)])
        == 0
    )

    result = json.loads(output.read_text())
    for kind in ("text", "upload"):
        figures = result[kind]
        assert figures["lost"] == 0, kind
        assert 0 < figures["p50_ms"] <= figures["p99_ms"] <= figures["max_ms"], kind
    # The picture's row carries its thumbnail: far more bytes reach each tab than for a line.
    assert result["upload"]["bytes_per_session"] > result["text"]["bytes_per_session"]
    assert set(result["upload_over_text"]) == {"p50_ms", "p99_ms", "max_ms"}
    assert [run["kind"] for run in result["runs"]] == ["text", "upload"]
