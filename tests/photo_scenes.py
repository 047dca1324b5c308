"""Real pictures for the evidence stories: street scenes drawn with Pillow, saved as a phone
would (JPEG with EXIF capture time and GPS), and saved again the way an old photo is passed off
as new."""

import io
import random

from PIL import Image, ImageDraw


def scene(seed, size=(800, 600)):
    """A street scene that is not a flat colour: a wall, boxes, bins, a pole and sensor noise."""
    rnd = random.Random(seed)
    image = Image.new("RGB", size, tuple(rnd.randrange(60, 200) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    w, h = size
    for _ in range(14):
        x, y = rnd.randrange(w), rnd.randrange(h)
        box = (x, y, x + rnd.randrange(40, w // 2), y + rnd.randrange(30, h // 2))
        colour = tuple(rnd.randrange(256) for _ in range(3))
        (draw.rectangle if rnd.random() < 0.5 else draw.ellipse)(box, fill=colour)
    for _ in range(6):
        draw.line(
            [(rnd.randrange(w), rnd.randrange(h)) for _ in range(2)], fill=(20, 20, 20), width=rnd.randrange(3, 12)
        )
    noise = Image.effect_noise(size, 24).convert("RGB")
    return Image.blend(image, noise, 0.15)


def dms(value):
    value = abs(float(value))
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60, 4)
    return (degrees, minutes, seconds)


def jpeg(image, *, quality=90, taken=None, place=None, scale=1.0):
    """The picture as a phone JPEG, with EXIF capture time ("2026:12:04 10:20:00") and GPS."""
    if scale != 1.0:
        image = image.resize((int(image.width * scale), int(image.height * scale)), Image.Resampling.LANCZOS)
    exif = Image.Exif()
    if taken:
        exif.get_ifd(0x8769)[0x9003] = taken
    if place:
        exif.get_ifd(0x8825).update({1: "N", 2: dms(place[0]), 3: "E", 4: dms(place[1])})
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, exif=exif.tobytes())
    return out.getvalue()
