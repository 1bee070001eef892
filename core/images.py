"""Uploaded pictures, checked by content and re-encoded, for every app that accepts them.

The file name and the browser's content type are never trusted: Pillow decides what the file is.
Re-encoding turns the picture upright by its EXIF orientation and then drops EXIF and anything else
hidden in the file. Each app keeps its own size caps and maps `ImageRefused` to its own error shape.
"""

import io
from dataclasses import dataclass

from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "GIF"})
# Checked from the header before anything is decoded, so decompression bombs stop early.
DEFAULT_MAX_PIXELS = 40_000_000
_UNREADABLE = (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError)


class ImageRefused(Exception):
    """The bytes are not a picture we store; `message` is ready to show beside the upload field."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code  # "unreadable", "unsupported_format" or "too_many_pixels"
        self.message = message


@dataclass(frozen=True)
class ReencodedImage:
    data: bytes
    content_type: str  # "image/jpeg", or "image/png" for a transparent picture kept transparent
    extension: str
    width: int
    height: int
    thumbnail: bytes | None = None  # same format, when a thumbnail side was asked for


def _decode(raw: bytes, max_pixels: int, formats: frozenset[str] | None) -> Image.Image:
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            if formats is not None and probe.format not in formats:
                raise ImageRefused("unsupported_format", _("Upload a JPEG, PNG, WebP or GIF image."))
            if probe.width * probe.height > max_pixels:
                raise ImageRefused("too_many_pixels", _(
                    "The image has too many pixels (%(width)d x %(height)d; at most %(limit)d in all)."
                ) % {"width": probe.width, "height": probe.height, "limit": max_pixels})
            probe.verify()
        # verify() leaves the image unusable, so a fresh copy is decoded.
        with Image.open(io.BytesIO(raw)) as opened:
            upright = ImageOps.exif_transpose(opened)
            upright.load()
            return upright
    except _UNREADABLE as error:
        raise ImageRefused("unreadable", _("This file is not an image we can read.")) from error


def reencode_image(
    raw: bytes, *, box: tuple[int, int], max_pixels: int = DEFAULT_MAX_PIXELS, keep_transparency: bool = True,
    jpeg_quality: int = 85, thumbnail_side: int | None = None, formats: frozenset[str] | None = ACCEPTED_FORMATS,
) -> ReencodedImage:
    """Decode `raw`, shrink it to fit `box` (never enlarge) and encode it afresh as JPEG, or as PNG when it
    is transparent and `keep_transparency` is set. Raises `ImageRefused`.

    `formats=None` takes any format Pillow reads (BMP, TIFF …): pictures a provider sends, converted so
    every browser shows them."""
    image = _decode(raw, max_pixels, formats)
    transparent = keep_transparency and (
        image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info))
    image = image.convert("RGBA" if transparent else "RGB")
    image.thumbnail(box, Image.Resampling.LANCZOS)

    def encode(picture: Image.Image) -> bytes:
        out = io.BytesIO()
        if transparent:
            picture.save(out, "PNG", optimize=True)
        else:
            picture.save(out, "JPEG", quality=jpeg_quality, optimize=True, progressive=True)
        return out.getvalue()

    thumbnail = None
    if thumbnail_side is not None:
        small = image.copy()
        small.thumbnail((thumbnail_side, thumbnail_side), Image.Resampling.LANCZOS)
        thumbnail = encode(small)
    content_type, extension = ("image/png", "png") if transparent else ("image/jpeg", "jpg")
    return ReencodedImage(data=encode(image), content_type=content_type, extension=extension,
                          width=image.width, height=image.height, thumbnail=thumbnail)
