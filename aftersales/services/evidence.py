"""Photo evidence: size-capped, then checked by content and re-encoded as JPEG by core's `reencode_image`."""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from core.api import ApplicationError
from core.images import ImageRefused, reencode_image

MAX_SIDE = 2000


@dataclass(frozen=True)
class Photo:
    data: bytes
    width: int
    height: int


def _invalid(message: str) -> ApplicationError:
    return ApplicationError(message, code="invalid_image", fields={"images": [message]})


def process(upload: Any) -> Photo:
    """One uploaded file → a clean JPEG, or `ApplicationError` on anything that is not a sane image."""
    limit: int = settings.AFTERSALES_MAX_IMAGE_BYTES
    too_big = _invalid(_("Each photo must be at most %(mb)d MB.") % {"mb": limit // (1024 * 1024)})
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise too_big
    raw = upload.read(limit + 1)
    if len(raw) > limit:
        raise too_big
    try:
        # Always JPEG: photos of goods have no use for transparency, and one format keeps the timeline simple.
        image = reencode_image(raw, box=(MAX_SIDE, MAX_SIDE), keep_transparency=False)
    except ImageRefused as refusal:
        raise _invalid(refusal.message) from refusal
    return Photo(data=image.data, width=image.width, height=image.height)


def process_all(uploads: list[Any]) -> list[Photo]:
    return [process(upload) for upload in uploads]
