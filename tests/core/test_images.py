"""core.images: the one place uploads are decoded and re-encoded."""

import io

import pytest
from PIL import Image

from core.images import ImageRefused, reencode_image


def encoded(fmt: str = "JPEG", mode: str = "RGB", size: tuple[int, int] = (400, 200), orientation: int = 0) -> bytes:
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"
    if orientation:
        exif[0x0112] = orientation
    Image.new(mode, size, "red").save(out, fmt, **({"exif": exif} if fmt == "JPEG" else {}))
    return out.getvalue()


def test_a_picture_is_turned_upright_stripped_of_exif_and_shrunk_into_the_box() -> None:
    image = reencode_image(encoded(size=(3000, 1000), orientation=6), box=(500, 500), thumbnail_side=100)
    # Orientation 6 means "rotate 90°": 3000x1000 upright is 1000x3000, fitted into 500x500.
    assert (image.width, image.height) == (167, 500)
    assert (image.content_type, image.extension) == ("image/jpeg", "jpg")
    reopened = Image.open(io.BytesIO(image.data))
    assert reopened.size == (167, 500) and not reopened.getexif() and b"SpyCam" not in image.data
    assert image.thumbnail is not None and max(Image.open(io.BytesIO(image.thumbnail)).size) == 100


def test_small_pictures_are_not_enlarged_and_no_thumbnail_unless_asked() -> None:
    image = reencode_image(encoded(size=(40, 20)), box=(500, 500))
    assert (image.width, image.height, image.thumbnail) == (40, 20, None)


def test_transparency_is_kept_as_png_unless_the_caller_wants_jpeg_only() -> None:
    transparent = encoded("PNG", "RGBA")
    assert reencode_image(transparent, box=(500, 500)).content_type == "image/png"
    flattened = reencode_image(transparent, box=(500, 500), keep_transparency=False)
    assert Image.open(io.BytesIO(flattened.data)).format == "JPEG"


@pytest.mark.parametrize(("raw", "code"), [
    (b"<script>alert(1)</script>", "unreadable"),
    (b"", "unreadable"),
    (encoded()[:80], "unreadable"),
    (encoded("BMP"), "unsupported_format"),
    (encoded(size=(1001, 1000)), "too_many_pixels"),
])
def test_anything_else_is_refused_with_a_reason(raw: bytes, code: str) -> None:
    with pytest.raises(ImageRefused) as refused:
        reencode_image(raw, box=(500, 500), max_pixels=1_000_000)
    assert refused.value.code == code and refused.value.message
