"""Cleaning pictures people upload: decode with Pillow, keep only the pixels, write a fresh JPEG.

Shared by resident report photos (``reports.actions.clean_photo``) and appraisal photos
(``community.photos.reencode``). It lives in ``ingest``, the app that reads the files users send,
so that neither domain app imports the other. It holds no user-facing text: a refusal carries a
:class:`Reason`, and each caller words it in its own app's catalogue.

Nothing of the original file but its pixels survives: no EXIF (GPS position, camera serial), no
comment, XMP or ICC block, no bytes appended after the image. Size is bounded three times: bytes
before decoding, pixels before decoding (a decompression bomb is refused from its header), and the
longest side of the result.
"""

from __future__ import annotations

import contextlib
import enum
import io
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageOps

FORMATS = frozenset({"JPEG", "PNG", "WEBP", "GIF"})
MAX_PIXELS = 40_000_000

# What Pillow raises on damaged or hostile files besides UnidentifiedImageError (an OSError);
# found by tests/fuzz. DecompressionBombError is raised by Image.open past twice MAX_IMAGE_PIXELS.
DECODE_ERRORS = (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError)


class Reason(enum.Enum):
    TOO_LARGE = "the file has more bytes than allowed"
    FORMAT = "not one of the allowed picture formats"
    TOO_MANY_PIXELS = "the picture has more pixels than allowed"
    UNREADABLE = "the file cannot be decoded as a picture"


class PictureRefused(Exception):
    """An upload that is not a picture we accept; ``reason`` says why (callers translate it)."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(reason.value)
        self.reason = reason


@dataclass(frozen=True)
class CleanPicture:
    content: bytes
    width: int
    height: int


def reencode_jpeg(
    upload: Any,
    *,
    max_bytes: int,
    longest_side: int,
    quality: int,
    max_pixels: int = MAX_PIXELS,
    formats: frozenset[str] | set[str] = FORMATS,
) -> CleanPicture:
    """A fresh JPEG of the upload's pixels, upright, at most ``longest_side`` pixels a side.

    ``upload`` is any binary file object (a Django ``UploadedFile``); it is read from its start and
    at most ``max_bytes + 1`` bytes are read, whatever size it claims. Raises :class:`PictureRefused`
    and nothing else for any input.
    """
    size = getattr(upload, "size", None)
    if isinstance(size, int) and size > max_bytes:
        raise PictureRefused(Reason.TOO_LARGE)
    with contextlib.suppress(AttributeError, OSError, ValueError):  # a stream that cannot rewind is read as is
        upload.seek(0)
    data = upload.read(max_bytes + 1)
    if not isinstance(data, bytes):
        raise PictureRefused(Reason.UNREADABLE)
    if len(data) > max_bytes:
        raise PictureRefused(Reason.TOO_LARGE)
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in formats:
                raise PictureRefused(Reason.FORMAT)
            if probe.width * probe.height > max_pixels:
                raise PictureRefused(Reason.TOO_MANY_PIXELS)
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            picture = ImageOps.exif_transpose(image).convert("RGB")  # keep the orientation, then drop EXIF
        picture.thumbnail((longest_side, longest_side))
        # A new image has an empty info dictionary: JPEG save would otherwise copy the original's
        # comment into the output.
        clean = Image.new("RGB", picture.size)
        clean.paste(picture)
        out = io.BytesIO()
        clean.save(out, format="JPEG", quality=quality, optimize=True)
    except DECODE_ERRORS as error:
        raise PictureRefused(Reason.UNREADABLE) from error
    return CleanPicture(content=out.getvalue(), width=clean.width, height=clean.height)
