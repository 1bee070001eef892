"""Photo evidence: checked by content with Pillow, re-encoded as JPEG, size-capped."""

import io
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from service_center.core.api import ApplicationError

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
MAX_SIDE = 2000
MAX_PIXELS = 40_000_000  # refuse decompression bombs before decoding


@dataclass(frozen=True)
class Photo:
    data: bytes
    width: int
    height: int


def _invalid(message: str) -> ApplicationError:
    return ApplicationError(message, code="invalid_image", fields={"images": [message]})


def process(upload: Any) -> Photo:
    """One uploaded file → a clean JPEG, or `ApplicationError` on anything that is not a sane image."""
    size = getattr(upload, "size", None)
    if size is not None and size > settings.AFTERSALES_MAX_IMAGE_BYTES:
        raise _invalid(_("Each photo must be at most %(mb)d MB.") % {
            "mb": settings.AFTERSALES_MAX_IMAGE_BYTES // (1024 * 1024)})
    raw = upload.read(settings.AFTERSALES_MAX_IMAGE_BYTES + 1)
    if len(raw) > settings.AFTERSALES_MAX_IMAGE_BYTES:
        raise _invalid(_("Each photo must be at most %(mb)d MB.") % {
            "mb": settings.AFTERSALES_MAX_IMAGE_BYTES // (1024 * 1024)})
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            if probe.format not in ACCEPTED_FORMATS:
                raise _invalid(_("Upload JPEG, PNG, WebP or GIF photos."))
            if probe.width * probe.height > MAX_PIXELS:
                raise _invalid(_("The photo is too large."))
            probe.verify()
        # verify() leaves the image unusable; decode a fresh copy, dropping EXIF and anything hidden.
        with Image.open(io.BytesIO(raw)) as image:
            image.load()
            clean = image.convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise _invalid(_("This file is not a readable image.")) from exc
    clean.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=85, optimize=True)
    return Photo(data=out.getvalue(), width=clean.width, height=clean.height)


def process_all(uploads: list[Any]) -> list[Photo]:
    return [process(upload) for upload in uploads]
