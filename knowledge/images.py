"""Article images: checked by content with Pillow, re-encoded (dropping EXIF and anything hidden), shrunk.

The file name and the browser's content type are never trusted: Pillow decides what the file is.
"""

import io
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.text import slugify
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "GIF"})
MAX_WIDTH = 1600
JPEG_QUALITY = 85
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
    raw = _read_capped(upload)
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            if probe.format not in ACCEPTED_FORMATS:
                raise ImageRejected(_("Upload a JPEG, PNG, WebP or GIF image."))
            # The header gives the size before anything is decoded: decompression bombs stop here.
            if probe.width * probe.height > settings.KNOWLEDGE_IMAGE_MAX_PIXELS:
                raise ImageRejected(
                    _("The image has too many pixels (%(width)d x %(height)d; at most %(limit)d in all).")
                    % {"width": probe.width, "height": probe.height, "limit": settings.KNOWLEDGE_IMAGE_MAX_PIXELS}
                )
            probe.verify()
        # verify() leaves the image unusable; decode a fresh copy, turned upright by its EXIF, which is then dropped.
        with Image.open(io.BytesIO(raw)) as opened:
            image = ImageOps.exif_transpose(opened)
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise ImageRejected(_("This file is not an image we can read.")) from error
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    image = image.convert("RGBA" if has_alpha else "RGB")
    if image.width > MAX_WIDTH:
        height = max(1, round(image.height * MAX_WIDTH / image.width))
        image = image.resize((MAX_WIDTH, height), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if has_alpha:
        image.save(out, "PNG", optimize=True)
        content_type, extension = "image/png", "png"
    else:
        image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
        content_type, extension = "image/jpeg", "jpg"
    return CleanImage(
        data=out.getvalue(), content_type=content_type, name=_file_name(getattr(upload, "name", ""), extension),
        width=image.width, height=image.height,
    )
