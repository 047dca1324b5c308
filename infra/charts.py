"""Small charts drawn on the server as SVG: no network, no script, printable."""

from django.utils.html import escape
from django.utils.safestring import mark_safe

FOUND_COLOR = "#b45309"
CLOSED_COLOR = "#0b6e4f"


def _scale(value, top, height):
    return height - (value / top * height if top else 0)


def trend_svg(points, *, width=640, height=180, title="", found_label="发现", closed_label="销号"):
    """Found and closed per day as two lines with dots, a labelled axis and a legend.

    `points` is [(date, found, closed), …]. Colour is never the only signal: the lines
    differ in dash and the legend names them.
    """
    if not points:
        return ""
    left, bottom, top_pad, right = 32, 22, 14, 8
    plot_w, plot_h = width - left - right, height - bottom - top_pad
    peak = max(max(found, closed) for _day, found, closed in points) or 1
    step = plot_w / max(1, len(points) - 1)

    def series(index):
        coords = [(left + i * step, top_pad + _scale(point[index], peak, plot_h)) for i, point in enumerate(points)]
        return " ".join(f"{x:.1f},{y:.1f}" for x, y in coords), coords

    found_line, found_coords = series(1)
    closed_line, closed_coords = series(2)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for fraction in (0, 0.5, 1):
        y = top_pad + plot_h * (1 - fraction)
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d9dee4" />')
        parts.append(
            f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="10" fill="#52606d">'
            f"{round(peak * fraction)}</text>"
        )
    for i, (day, _found, _closed) in enumerate(points):
        if (i % 7 == 0 and i < len(points) - 4) or i == len(points) - 1:
            x = left + i * step
            anchor = "end" if i == len(points) - 1 else ("start" if i == 0 else "middle")
            parts.append(
                f'<text x="{x:.1f}" y="{height - 6}" text-anchor="{anchor}" font-size="10" fill="#52606d">'
                f"{day:%m-%d}</text>"
            )
    parts.append(
        f'<polyline points="{found_line}" fill="none" stroke="{FOUND_COLOR}" stroke-width="2" stroke-dasharray="5 3" />'
    )
    parts.append(f'<polyline points="{closed_line}" fill="none" stroke="{CLOSED_COLOR}" stroke-width="2.5" />')
    for coords, index, color, label in (
        (found_coords, 1, FOUND_COLOR, found_label),
        (closed_coords, 2, CLOSED_COLOR, closed_label),
    ):
        for (x, y), point in zip(coords, points, strict=True):
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2" fill="{color}">'
                f"<title>{point[0]:%m-%d} {escape(label)} {point[index]}</title></circle>"
            )
    legend_x = width - right - 150
    parts.append(
        f'<line x1="{legend_x}" x2="{legend_x + 22}" y1="8" y2="8" stroke="{FOUND_COLOR}" stroke-width="2" '
        f'stroke-dasharray="5 3" />'
        f'<text x="{legend_x + 26}" y="12" font-size="11" fill="#1f2933">{escape(found_label)}</text>'
        f'<line x1="{legend_x + 70}" x2="{legend_x + 92}" y1="8" y2="8" stroke="{CLOSED_COLOR}" stroke-width="2.5" />'
        f'<text x="{legend_x + 96}" y="12" font-size="11" fill="#1f2933">{escape(closed_label)}</text>'
    )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308  # nosec B308, B703 # every text piece is escaped above


def bars_svg(rows, *, width=640, bar_height=18, title=""):
    """Horizontal bars: [(label, value), …], the value printed at the end of each bar."""
    if not rows:
        return ""
    label_w, gap = 150, 6
    height = len(rows) * (bar_height + gap) + gap
    peak = max(value for _label, value in rows) or 1
    plot_w = width - label_w - 40
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for i, (label, value) in enumerate(rows):
        y = gap + i * (bar_height + gap)
        w = plot_w * value / peak
        parts.append(
            f'<text x="{label_w - 6}" y="{y + bar_height - 5}" text-anchor="end" font-size="11" fill="#1f2933">'
            f"{escape(str(label)[:14])}</text>"
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_height}" rx="3" fill="{CLOSED_COLOR}" />'
            f'<text x="{label_w + w + 4:.1f}" y="{y + bar_height - 5}" font-size="11" fill="#1f2933">{value}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308  # nosec B308, B703 # labels are escaped above
