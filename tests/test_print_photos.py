"""Photos for print: at most 1200 px at JPEG quality 80, smaller when a report shares a budget."""

import io

from PIL import Image

from infra.print_photos import MIN_LONGEST, PRINT_LONGEST, print_jpeg


def _photo(size, noise=40, fmt="JPEG"):
    """A picture as hard to compress as a street scene: noise over blocks of colour."""
    image = Image.effect_noise(size, noise).convert("RGB")
    image.paste((30, 120, 60), (0, 0, size[0] // 2, size[1] // 3))
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def test_a_phone_photo_is_printed_at_1200_pixels_on_its_long_side():
    printed = print_jpeg(_photo((1600, 1200)))
    assert (printed.width, printed.height, printed.quality) == (PRINT_LONGEST, 900, 80)
    assert Image.open(io.BytesIO(printed.data)).format == "JPEG"


def test_a_small_photo_is_not_blown_up_and_a_png_becomes_a_jpeg():
    printed = print_jpeg(_photo((640, 480), fmt="PNG"))
    assert (printed.width, printed.height) == (640, 480)
    assert printed.data[:3] == b"\xff\xd8\xff"


def test_a_shared_budget_shrinks_the_photo_first_then_its_quality_never_below_print_size():
    data = _photo((1600, 1200), noise=80)
    alone = print_jpeg(data)
    tight = print_jpeg(data, budget=len(alone.data) // 3)
    assert len(tight.data) <= len(alone.data) // 3
    assert MIN_LONGEST <= max(tight.width, tight.height) < PRINT_LONGEST
    floor = print_jpeg(data, budget=1000)  # unreachable: as small as print allows, then it stops
    assert max(floor.width, floor.height) == MIN_LONGEST and floor.quality == 60


def test_three_hundred_problems_of_phone_photos_fit_the_report_budget():
    """600 photos in 26 MB is 45 KB each: 1600-px phone photos come out near 600-800 px."""
    data = _photo((1600, 1200))
    budget = 26 * 1024 * 1024 // 600
    printed = print_jpeg(data, budget=budget)
    assert len(printed.data) <= budget and max(printed.width, printed.height) >= MIN_LONGEST
