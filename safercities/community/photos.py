"""Appraisal photos: decoded and re-encoded by Pillow so that no metadata (EXIF, GPS) survives."""

from __future__ import annotations

import io
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_SIDE = 2048
FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}


def reencode(upload: object) -> tuple[bytes, int, int]:
    """JPEG bytes of the picture without any metadata, at most ``MAX_SIDE`` pixels a side.

    Raises ValidationError for anything that is not a readable picture (hostile or broken files).
    """
    size = getattr(upload, "size", 0) or 0
    if size > MAX_BYTES:
        raise ValidationError(_("The photo is larger than 10 MB."))
    try:
        upload.seek(0)  # type: ignore[attr-defined]
        with Image.open(upload) as probe:  # type: ignore[arg-type]
            if probe.format not in FORMATS:
                raise ValidationError(_("Upload a JPEG, PNG, WebP or GIF picture."))
            if probe.width * probe.height > MAX_PIXELS:
                raise ValidationError(_("The picture has too many pixels."))
            probe.verify()
        upload.seek(0)  # type: ignore[attr-defined]
        with Image.open(upload) as image:  # type: ignore[arg-type]
            image.load()
            upright = ImageOps.exif_transpose(image)  # keep the orientation, then drop the EXIF block
            picture = upright.convert("RGB")
    except ValidationError:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, EOFError) as error:
        raise ValidationError(_("This file is not a picture that can be read.")) from error
    picture.thumbnail((MAX_SIDE, MAX_SIDE))
    clean = Image.new("RGB", picture.size)
    clean.paste(picture)  # a fresh image carries no info dictionary from the original
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=85, optimize=True)
    return out.getvalue(), clean.width, clean.height


def folder(city_slug: str) -> Path:
    return Path(settings.MEDIA_ROOT) / "community" / city_slug


def path_of(city_slug: str, stored_name: str) -> Path:
    return folder(city_slug) / Path(stored_name).name
