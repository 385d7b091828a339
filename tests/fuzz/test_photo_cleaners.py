"""Issue 8: the photo cleaners of reports (H1) and community appraisals (H3) against the corpus.

Each cleaner must turn a real picture into a fresh JPEG with no EXIF (no GPS position), and refuse
anything else with a ValidationError — never another exception, whatever the bytes.
"""

from __future__ import annotations

import io
from importlib import import_module

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.fuzz.corpus import corpus, image_samples

CLEANERS = {
    "reports": ("safercities.reports.actions", "clean_photo"),
    "community": ("safercities.community.photos", "reencode"),
}


def cleaner(name: str):
    module, function = CLEANERS[name]
    try:
        return getattr(import_module(module), function)
    except (ImportError, AttributeError):
        pytest.skip(f"{module}.{function} does not exist")


def jpeg_bytes(result) -> bytes:
    if isinstance(result, tuple):
        return result[0]
    result.seek(0)
    return result.read()


def photo_with_gps() -> bytes:
    from PIL import Image

    image = Image.new("RGB", (40, 30), (200, 10, 10))
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (19.0, 26.0, 0.0), "W", (99.0, 8.0, 0.0)
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


@pytest.mark.parametrize("name", sorted(CLEANERS))
def test_a_real_photo_loses_its_metadata(name):
    from PIL import Image

    original = photo_with_gps()
    assert b"SpyCam" in original
    clean = jpeg_bytes(cleaner(name)(SimpleUploadedFile("p.jpg", original, content_type="image/jpeg")))
    assert b"SpyCam" not in clean and b"Exif" not in clean
    with Image.open(io.BytesIO(clean)) as image:
        assert image.format == "JPEG" and not image.getexif()


@pytest.mark.parametrize("name", sorted(CLEANERS))
def test_every_corpus_sample_is_cleaned_or_refused(name):
    clean = cleaner(name)
    samples = [*image_samples(), *corpus()[::3]]
    refused = 0
    for sample in samples:
        upload = SimpleUploadedFile(sample.name, sample.data)
        try:
            result = clean(upload)
        except ValidationError as exc:
            assert exc.messages and all(m.strip() for m in exc.messages), sample.name
            refused += 1
            continue
        assert jpeg_bytes(result)[:3] == b"\xff\xd8\xff", sample.name  # always a fresh JPEG
    assert refused > len(samples) * 0.9
