"""Appraisal photos: decoded and re-encoded by Pillow so that no metadata (EXIF, GPS) survives.

The cleaning itself is ``ingest.images`` (shared with report photos); the limits and the wording of
refusals are the community app's.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from safercities.ingest import images

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_SIDE = 2048
FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}


def reencode(upload: object) -> tuple[bytes, int, int]:
    """JPEG bytes of the picture without any metadata, at most ``MAX_SIDE`` pixels a side.

    Raises ValidationError for anything that is not a readable picture (hostile or broken files).
    """
    try:
        picture = images.reencode_jpeg(
            upload, max_bytes=MAX_BYTES, max_pixels=MAX_PIXELS, longest_side=MAX_SIDE, quality=85, formats=FORMATS
        )
    except images.PictureRefused as refused:
        messages = {
            images.Reason.TOO_LARGE: _("The photo is larger than 10 MB."),
            images.Reason.FORMAT: _("Upload a JPEG, PNG, WebP or GIF picture."),
            images.Reason.TOO_MANY_PIXELS: _("The picture has too many pixels."),
            images.Reason.UNREADABLE: _("This file is not a picture that can be read."),
        }
        raise ValidationError(messages[refused.reason]) from refused
    return picture.content, picture.width, picture.height


def folder(city_slug: str) -> Path:
    return Path(settings.MEDIA_ROOT) / "community" / city_slug


def path_of(city_slug: str, stored_name: str) -> Path:
    return folder(city_slug) / Path(stored_name).name
