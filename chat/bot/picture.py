"""Pictures from an image server: checked by decoding them, bounded, and re-encoded as a clean PNG.

Decoding needs Pillow (23 MB), which is the `images` extra, not the default
install. Without it /imagine is refused before the image server is asked: a
picture nobody can check is never shown.
"""

from __future__ import annotations

import io
import warnings

NO_PILLOW = (
    "I can't draw here: pictures are checked with Pillow before anyone sees them, and this "
    "Confab was installed without it. Install the images extra: pip install 'confab[images]'"
)
"""The refusal when Pillow is missing, for the room and its host."""

ACCEPTED_FORMATS = ("PNG", "JPEG", "WEBP")
"""What image models send; anything else (SVG, GIF, HTML, a script) is refused."""


class BadPicture(ValueError):
    """The picture was refused; the message says why, for the room."""


def require_pillow() -> None:
    """BadPicture(NO_PILLOW) unless Pillow (the `images` extra) can be imported."""
    try:
        import PIL.Image  # noqa: F401
    except ImportError:
        raise BadPicture(NO_PILLOW) from None


def checked_png(data: bytes, *, max_bytes: int, max_pixels: int) -> bytes:
    """`data` decoded and re-encoded as a PNG without metadata; BadPicture if it is not a
    picture, is larger than `max_bytes`, or has more than `max_pixels` pixels.

    The size is read from the header and checked before any pixel is decoded,
    so a small file that would decode to gigabytes (a decompression bomb) is
    refused without decoding it. Only the first frame of an animation is kept.
    """
    require_pillow()
    from PIL import Image, UnidentifiedImageError

    if len(data) > max_bytes:
        raise BadPicture(f"The picture is larger than {max_bytes:,} bytes, so it was not kept.")
    try:
        with warnings.catch_warnings():
            # Pillow's own bomb check warns, or raises past twice its limit; ours comes first.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS) as image:
                width, height = image.size
                if width * height > max_pixels:
                    raise BadPicture(
                        f"The picture is too large ({width}x{height} pixels; "
                        f"at most {max_pixels:,} pixels), so it was not kept."
                    )
                image.seek(0)
                image.load()
                clean = (
                    image
                    if image.mode in ("1", "L", "LA", "P", "RGB", "RGBA")
                    else image.convert("RGBA")
                )
                out = io.BytesIO()
                clean.save(out, format="PNG")
    except UnidentifiedImageError:
        raise BadPicture("The image server sent something that is not a picture.") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise BadPicture(
            f"The picture has too many pixels (at most {max_pixels:,}), so it was not kept."
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        if isinstance(exc, BadPicture):
            raise
        raise BadPicture("The image server sent a damaged picture.") from None
    return out.getvalue()
