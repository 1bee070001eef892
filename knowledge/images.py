"""Article images: size-capped, then checked and re-encoded by core's `reencode_image`, and safely named."""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.text import slugify
from django.utils.translation import gettext as _

from core.images import ImageRefused, reencode_image

MAX_WIDTH = 1600
# Only the width is capped: a long infographic stays legible at the article's width.
MAX_HEIGHT = 100_000
MAX_NAME_CHARS = 80


class ImageRejected(Exception):
    """The upload is not an image we store; the message is shown under the form field."""


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    content_type: str
    name: str
    width: int
    height: int


def _file_name(original: str, extension: str) -> str:
    # Only [a-z0-9-] survive, so the name is safe in a URL path and a Content-Disposition header.
    stem = (original or "").replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return f"{slugify(stem)[:MAX_NAME_CHARS] or 'image'}.{extension}"


def _read_capped(upload: Any) -> bytes:
    limit: int = settings.KNOWLEDGE_IMAGE_MAX_BYTES
    too_big = ImageRejected(_("The image must be at most %(mb).1f MB.") % {"mb": limit / 1024 / 1024})
    if getattr(upload, "size", None) is not None and upload.size > limit:
        raise too_big
    raw: bytes = upload.read(limit + 1)
    if len(raw) > limit:
        raise too_big
    if not raw:
        raise ImageRejected(_("The file is empty."))
    return raw


def clean_upload(upload: Any) -> CleanImage:
    """One uploaded file → a re-encoded JPEG (or PNG when it has transparency), or ImageRejected."""
    try:
        image = reencode_image(_read_capped(upload), box=(MAX_WIDTH, MAX_HEIGHT),
                               max_pixels=settings.KNOWLEDGE_IMAGE_MAX_PIXELS)
    except ImageRefused as refusal:
        raise ImageRejected(refusal.message) from refusal
    return CleanImage(
        data=image.data, content_type=image.content_type,
        name=_file_name(getattr(upload, "name", ""), image.extension), width=image.width, height=image.height,
    )
