"""The shared picture cleaner (ingest/images.py) and how its two callers word a refusal.

Hostile inputs: trailing payloads, comments, forged headers, bit-flipped files, streams that lie
about their size. Whatever the bytes, the cleaner returns a fresh JPEG or raises PictureRefused.
"""

from __future__ import annotations

import io
import random
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image

from safercities.community import photos
from safercities.ingest import images
from safercities.ingest.images import PictureRefused, Reason, reencode_jpeg
from safercities.reports import actions as report_actions

LIMITS = {"max_bytes": 1_000_000, "longest_side": 800, "quality": 85}


def picture(size=(40, 30), mode="RGB", fmt="JPEG", colour=(200, 10, 10), **save) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, colour).save(out, format=fmt, **save)
    return out.getvalue()


def clean(data: bytes, **overrides) -> images.CleanPicture:
    return reencode_jpeg(SimpleUploadedFile("p.jpg", data), **{**LIMITS, **overrides})


def refusal(data: bytes, **overrides) -> Reason:
    with pytest.raises(PictureRefused) as refused:
        clean(data, **overrides)
    return refused.value.reason


def png_claiming(width: int, height: int) -> bytes:
    """A 1×1 PNG whose header (with a valid checksum) claims another size: a decompression bomb's shape."""
    data = bytearray(picture((1, 1), fmt="PNG"))
    ihdr = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return bytes(data)


# --- what survives -------------------------------------------------------------------------------


def test_only_the_pixels_survive_exif_gps_comment_and_trailing_bytes_do_not():
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (19.0, 26.0, 0.0), "W", (99.0, 8.0, 0.0)
    original = picture(exif=exif, comment=b"secret-comment") + b"<?php system($_GET['c']); ?>"
    assert b"SpyCam" in original and b"secret-comment" in original
    result = clean(original)
    for leak in (b"SpyCam", b"Exif", b"secret-comment", b"<?php"):
        assert leak not in result.content
    with Image.open(io.BytesIO(result.content)) as reopened:
        assert reopened.format == "JPEG" and not reopened.getexif() and "comment" not in reopened.info
        assert reopened.size == (result.width, result.height) == (40, 30)


def test_the_orientation_is_applied_before_the_exif_is_dropped():
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to view
    result = clean(picture((40, 30), exif=exif))
    assert (result.width, result.height) == (30, 40)


def test_the_longest_side_is_bounded_and_the_aspect_kept():
    result = clean(picture((3000, 1500), fmt="PNG"))
    assert (result.width, result.height) == (800, 400)
    small = clean(picture((20, 10)))
    assert (small.width, small.height) == (20, 10)  # never enlarged


@pytest.mark.parametrize(
    ("mode", "fmt", "colour"),
    [
        ("RGBA", "PNG", (1, 2, 3, 0)),
        ("P", "GIF", 3),
        ("L", "PNG", 128),
        ("LA", "PNG", (9, 9)),
        ("RGB", "WEBP", (0, 0, 0)),
    ],
)
def test_every_allowed_format_and_mode_becomes_an_rgb_jpeg(mode, fmt, colour):
    result = clean(picture((12, 8), mode=mode, fmt=fmt, colour=colour))
    with Image.open(io.BytesIO(result.content)) as reopened:
        assert (reopened.format, reopened.mode, reopened.size) == ("JPEG", "RGB", (12, 8))


def test_the_upload_is_read_from_its_start():
    upload = SimpleUploadedFile("p.jpg", picture())
    upload.read()  # a form field already looked at it
    assert reencode_jpeg(upload, **LIMITS).width == 40


# --- what is refused, and why ------------------------------------------------------------------


def test_a_claimed_size_over_the_limit_is_refused_before_reading():
    class Huge(io.BytesIO):
        size = 2_000_000

        def read(self, *args):  # pragma: no cover - must not be called
            raise AssertionError("read a file already known to be too large")

    with pytest.raises(PictureRefused) as refused:
        reencode_jpeg(Huge(picture()), **LIMITS)
    assert refused.value.reason is Reason.TOO_LARGE


def test_a_stream_that_hides_its_size_is_read_only_up_to_the_limit():
    stream = io.BytesIO(picture((400, 400), fmt="PNG"))  # no .size attribute
    assert len(stream.getvalue()) > 100
    with pytest.raises(PictureRefused) as refused:
        reencode_jpeg(stream, **{**LIMITS, "max_bytes": 100})
    assert refused.value.reason is Reason.TOO_LARGE
    assert stream.tell() == 101  # max_bytes + 1, not the whole stream


@pytest.mark.parametrize("fmt", ["BMP", "TIFF", "ICO", "PPM"])
def test_a_readable_picture_of_another_format_is_refused_as_format(fmt):
    assert refusal(picture((16, 16), fmt=fmt)) is Reason.FORMAT


def test_the_allowed_formats_are_the_callers_choice():
    assert refusal(picture(fmt="PNG"), formats={"JPEG"}) is Reason.FORMAT


def test_too_many_pixels_is_refused_from_the_header_without_decoding():
    assert refusal(picture((100, 100), fmt="PNG"), max_pixels=9_999) is Reason.TOO_MANY_PIXELS
    assert refusal(png_claiming(8_000, 8_000)) is Reason.TOO_MANY_PIXELS  # 64 megapixels in 70 bytes
    # Past twice Image.MAX_IMAGE_PIXELS Pillow refuses to open it at all: unreadable, as before.
    assert refusal(png_claiming(50_000, 50_000)) is Reason.UNREADABLE


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not a picture at all",
        b"GIF89a<?php system($_GET['c']); ?>",
        b"\xff\xd8\xff\xe0 not really a jpeg",
        b"%PDF-1.4 fake",
        b"<svg onload=alert(1)>",
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,
        picture()[:200],  # truncated
    ],
)
def test_broken_and_fake_files_are_unreadable(data):
    assert refusal(data) is Reason.UNREADABLE


def test_a_text_stream_is_refused_not_crashed_on():
    with pytest.raises(PictureRefused) as refused:
        reencode_jpeg(io.StringIO("GIF89a"), **LIMITS)
    assert refused.value.reason is Reason.UNREADABLE


def test_bit_flipped_pictures_give_a_jpeg_or_a_refusal_never_another_error():
    rng = random.Random(20261206)  # explicit seed: the same mutations on every run
    seeds = [picture((30, 20)), picture((30, 20), fmt="PNG"), picture((30, 20), mode="P", fmt="GIF", colour=1)]
    for _ in range(300):
        data = bytearray(rng.choice(seeds))
        for _flip in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        try:
            result = clean(bytes(data))
        except PictureRefused:
            continue
        assert result.content[:3] == b"\xff\xd8\xff"


# --- the callers: their limits, their words, their catalogues ------------------------------------


CASES = [
    (Reason.FORMAT, picture((16, 16), fmt="BMP")),
    (Reason.UNREADABLE, b"not a picture at all"),
    (Reason.TOO_MANY_PIXELS, png_claiming(8_000, 8_000)),
]


@pytest.mark.parametrize(("reason", "data"), CASES)
def test_each_caller_words_a_refusal_in_its_own_language(reason, data):
    """The texts stay in each app's catalogue: Spanish comes from reports' and community's .po."""
    reports = {
        Reason.FORMAT: ("Send the photo as JPEG, PNG, WebP or GIF.", "Envíe la foto en formato JPEG, PNG, WebP o GIF."),
        Reason.UNREADABLE: (
            "This file is not an image we can read.",
            "Este archivo no es una imagen que podamos leer.",
        ),
        Reason.TOO_MANY_PIXELS: ("The photo has too many pixels.", "La foto tiene demasiados píxeles."),
    }
    community = {
        Reason.FORMAT: ("Upload a JPEG, PNG, WebP or GIF picture.", "Suba una imagen JPEG, PNG, WebP o GIF."),
        Reason.UNREADABLE: ("This file is not a picture that can be read.", "Este archivo no es una imagen legible."),
        Reason.TOO_MANY_PIXELS: ("The picture has too many pixels.", "La imagen tiene demasiados píxeles."),
    }
    for language, index in (("en", 0), ("es", 1)):
        with translation.override(language):
            with pytest.raises(ValidationError) as refused:
                report_actions.clean_photo(SimpleUploadedFile("x.jpg", data))
            assert refused.value.messages == [reports[reason][index]]
            with pytest.raises(ValidationError) as refused:
                photos.reencode(SimpleUploadedFile("x.jpg", data))
            assert refused.value.messages == [community[reason][index]]


def test_each_caller_keeps_its_own_size_limit_and_return_type():
    six_mb = SimpleUploadedFile("big.png", b"\x89PNG" + b"0" * (6 * 1024 * 1024))
    with pytest.raises(ValidationError, match="larger than 5 MB"):
        report_actions.clean_photo(six_mb)
    with pytest.raises(ValidationError, match="not a picture"):  # under community's 10 MB: decoded, then refused
        photos.reencode(six_mb)
    eleven_mb = SimpleUploadedFile("big.png", b"0" * (11 * 1024 * 1024))
    with pytest.raises(ValidationError, match="larger than 10 MB"):
        photos.reencode(eleven_mb)
    big = picture((3000, 1000), fmt="PNG")
    stored = report_actions.clean_photo(SimpleUploadedFile("p.png", big))
    assert stored.name.endswith(".jpg") and Image.open(stored).size == (report_actions.PHOTO_LONGEST_SIDE, 533)
    content, width, height = photos.reencode(SimpleUploadedFile("p.png", big))
    assert (width, height) == (photos.MAX_SIDE, 683) and content[:3] == b"\xff\xd8\xff"
