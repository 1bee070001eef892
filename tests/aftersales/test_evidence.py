"""Photos are checked by content, re-encoded and size-capped."""

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from aftersales.services import evidence
from core.api import ApplicationError
from tests.aftersales.factories import photo


def test_images_are_re_encoded_as_jpeg_without_metadata() -> None:
    source = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"
    Image.new("RGB", (3000, 1500), "blue").save(source, format="JPEG", exif=exif)
    result = evidence.process(SimpleUploadedFile("a.jpg", source.getvalue()))
    with Image.open(io.BytesIO(result.data)) as image:
        assert image.format == "JPEG"
        assert image.size == (2000, 1000) == (result.width, result.height)
        assert not image.getexif()


@pytest.mark.parametrize(
    "upload",
    [
        SimpleUploadedFile("fake.jpg", b"<?php echo 'not an image'; ?>"),
        SimpleUploadedFile("empty.png", b""),
        SimpleUploadedFile("truncated.png", photo().read()[:60]),
    ],
)
def test_files_that_are_not_images_are_refused(upload: Any) -> None:
    with pytest.raises(ApplicationError) as caught:
        evidence.process(upload)
    assert caught.value.fields.keys() == {"images"}


def test_other_image_formats_are_refused() -> None:
    with pytest.raises(ApplicationError):
        evidence.process(photo("a.bmp", fmt="BMP"))


def test_oversized_files_are_refused(settings: Any) -> None:
    settings.AFTERSALES_MAX_IMAGE_BYTES = 100
    with pytest.raises(ApplicationError):
        evidence.process(photo(size=(200, 200)))
