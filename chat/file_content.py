"""What an uploaded file is, from its bytes alone (never its name): pictures are decoded by
Pillow and re-encoded without metadata (EXIF, GPS), with a thumbnail; other files keep their
bytes and get a type from their first bytes, or application/octet-stream."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

THUMB_SIDE = 256
"""Longest side of a thumbnail, in pixels (WebP, a few kB: it travels inside its message)."""
THUMB_TYPE = "image/webp"

IMAGE_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "GIF": "image/png"}
"""Pictures Pillow may decode, and the type they are re-encoded as (a GIF's first frame: PNG)."""

_MAGIC = (
    (b"%PDF-", "application/pdf"),
    (b"PK\x03\x04", "application/zip"),
    (b"\x1f\x8b", "application/gzip"),
)


@dataclass(frozen=True, slots=True)
class FileContent:
    """What is kept of one upload."""

    content_type: str
    data: bytes
    thumbnail: bytes = b""
    thumb_size: tuple[int, int] = (0, 0)


def sniffed(data: bytes, max_pixels: int) -> FileContent:
    """A picture re-encoded with its thumbnail, or the bytes as they came with a sniffed type."""
    picture = _picture(data, max_pixels)
    if picture is not None:
        return picture
    for magic, content_type in _MAGIC:
        if data.startswith(magic):
            return FileContent(content_type, data)
    if b"\x00" not in data[:8192]:
        try:
            data.decode("utf-8")
            return FileContent("text/plain; charset=utf-8", data)
        except UnicodeDecodeError:
            pass
    return FileContent("application/octet-stream", data)


def _picture(data: bytes, max_pixels: int) -> FileContent | None:
    try:
        from PIL import Image, ImageOps
    except ImportError:
        return None  # without the images extra every upload is a plain download
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(IMAGE_FORMATS)) as image:
                width, height = image.size
                if width * height > max_pixels:
                    return None  # too many pixels to decode: kept as a plain file
                content_type = IMAGE_FORMATS[image.format or "PNG"]
                image.seek(0)
                # Turned as the camera meant, then written anew: no EXIF, GPS or comments survive.
                upright = ImageOps.exif_transpose(image)
                clean = _plain_mode(upright, content_type)
                full = _encode(clean, content_type)
                thumb = clean.copy()
                thumb.thumbnail((THUMB_SIDE, THUMB_SIDE))
                return FileContent(content_type, full, _encode(thumb, THUMB_TYPE), thumb.size)
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError):
        return None
    except Image.DecompressionBombWarning:
        return None


def _plain_mode(image, content_type: str):
    if content_type == "image/jpeg":
        plain = image.convert("RGB") if image.mode not in ("L", "RGB") else image.copy()
    elif image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA"):
        plain = image.convert("RGBA")
    else:
        plain = image.copy()
    # Whatever the file carried beside its pixels (EXIF, XMP, ICC, comments) is not written.
    plain.info = {k: v for k, v in plain.info.items() if k == "transparency"}
    return plain


def _encode(image, content_type: str) -> bytes:
    out = io.BytesIO()
    if content_type == "image/jpeg":
        image.save(out, format="JPEG", quality=88)
    elif content_type == "image/webp":
        image.save(out, format="WEBP", quality=80)
    else:
        image.save(out, format="PNG")
    return out.getvalue()
