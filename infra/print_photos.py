"""Photos for print: small enough that a report of hundreds of them stays a file one can mail.

A photo in a report is printed 35–50 mm wide: 1200 px on its long side is 600 dpi or more
there, beyond what an office printer shows; 600 px is still 300 dpi or more. `print_jpeg` makes the photo a
JPEG of at most `longest` px at `quality`, and when a byte budget is given (a report shares
its budget between its photos) shrinks it further — first its size, down to `min_longest`,
then its quality, down to `min_quality` — until it fits. Nothing here knows the ledger.
"""

import io
import math
from dataclasses import dataclass

from PIL import Image, ImageOps

PRINT_LONGEST = 1200
PRINT_QUALITY = 80
MIN_LONGEST = 600
MIN_QUALITY = 60
QUALITY_STEP = 10


@dataclass(frozen=True)
class PrintedPhoto:
    data: bytes
    width: int
    height: int
    quality: int


def _encode(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, optimize=True)
    return out.getvalue()


def _scaled(image: Image.Image, longest: int) -> Image.Image:
    copy = image.copy()
    copy.thumbnail((longest, longest), Image.Resampling.LANCZOS)
    return copy


def print_jpeg(
    data: bytes,
    *,
    longest: int = PRINT_LONGEST,
    quality: int = PRINT_QUALITY,
    budget: int | None = None,
    min_longest: int = MIN_LONGEST,
    min_quality: int = MIN_QUALITY,
) -> PrintedPhoto:
    """The image as a JPEG for print (upright, RGB, no metadata), within `budget` bytes if it can be."""
    with Image.open(io.BytesIO(data)) as opened:
        opened.draft("RGB", (longest, longest))  # a big JPEG is decoded at a fraction of its size
        image = ImageOps.exif_transpose(opened).convert("RGB")
    image = _scaled(image, longest)
    side = max(image.size)
    encoded = _encode(image, quality)
    while budget is not None and len(encoded) > budget:
        if side > min_longest:
            # JPEG bytes grow with the area: scale the side by the square root of the overshoot.
            side = max(min_longest, int(side * math.sqrt(budget / len(encoded)) * 0.95))
            image = _scaled(image, side)
        elif quality > min_quality:
            quality = max(min_quality, quality - QUALITY_STEP)
        else:
            break  # as small as print allows: the budget was an estimate, not a wall
        encoded = _encode(image, quality)
    return PrintedPhoto(encoded, image.width, image.height, quality)
