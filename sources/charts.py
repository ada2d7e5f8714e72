"""Charts drawn by the server as SVG markup: pure functions from data to an escaped SVG string.

Every chart is an image with an accessible name (``role="img"``, ``aria-label`` and a ``<title>``), prints
its numbers as text (colour is never the only signal), and escapes every label it is given, so a source
called ``<script>`` is drawn as those characters. The page shows the same data as a table and as CSV.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

FONT = "system-ui, -apple-system, 'Segoe UI', 'Noto Sans', 'Noto Sans Arabic', Tahoma, sans-serif"
INK = "#1d2330"
MUTED = "#5b6475"
LINE = "#d9dde5"
EMPTY = "#f5f7fa"
# Lines are told apart by dash pattern and marker shape as well as by colour.
SERIES_COLOURS = ("#1f5fa8", "#a4262c", "#1e6b3a", "#8a5a00", "#6b3fa0", "#0b7285", "#5b6475", "#c2255c")
SERIES_DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 2", "10 4", "4 4", "3 6")
MARKERS = ("circle", "square", "triangle", "diamond")
LABEL_CHARS = 22


def _short(label: str, limit: int = LABEL_CHARS) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _number(value: float) -> str:
    """Whole numbers without decimals, others with one."""
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def signed(value: float) -> str:
    """A difference with its sign: "+1", "−2.5", "0"."""
    text = _number(abs(value))
    if value > 0:
        return f"+{text}"
    return f"−{text}" if value < 0 else text


def _svg(*, width: float, height: float, title: str, description: str, body: SafeString) -> SafeString:
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {} {}" width="{}" height="{}" '
        'role="img" aria-label="{}" font-family="{}" font-size="12" fill="{}">'
        "<title>{}</title><desc>{}</desc>{}</svg>",
        _number(width),
        _number(height),
        _number(width),
        _number(height),
        title,
        FONT,
        INK,
        title,
        description,
        body,
    )


def _join(parts: Sequence[SafeString]) -> SafeString:
    # Every part was built by format_html, so its content is already escaped.
    return mark_safe("".join(parts))  # noqa: S308


def _mix(intensity: float, colour: tuple[int, int, int]) -> str:
    """White blended towards ``colour`` by ``intensity`` (0..1)."""
    t = max(0.0, min(1.0, intensity))
    r, g, b = (round(255 + (c - 255) * t) for c in colour)
    return f"#{r:02x}{g:02x}{b:02x}"


BLUE = (31, 95, 168)
RED = (164, 38, 44)


def cell_colour(value: float, *, scale: float, diverging: bool) -> str:
    """Fill for a heatmap cell: white to blue for amounts; blue (below) / red (above) around 0 for
    differences. ``scale`` is the value of full intensity."""
    if scale <= 0:
        return "#ffffff"
    if diverging:
        return _mix(abs(value) / scale, RED if value > 0 else BLUE)
    return _mix(value / scale, BLUE)


def heatmap(
    *,
    title: str,
    rows: Sequence[str],
    columns: Sequence[str],
    values: Sequence[Sequence[float | None]],
    notes: Sequence[Sequence[str]] | None = None,
    diverging: bool = False,
    format_value: Callable[[float], str] = _number,
    description: str = "",
) -> SafeString:
    """A grid of ``rows`` x ``columns`` with each cell's value printed in it; empty cells show "–".

    ``notes`` (same shape as ``values``) become each cell's tooltip. A diverging scale centres on 0.
    """
    cell = 46
    left = 8 + 7 * min(LABEL_CHARS, max((len(r) for r in rows), default=4))
    top = 12 + 5 * min(LABEL_CHARS, max((len(c) for c in columns), default=4))
    width, height = left + cell * len(columns) + 10, top + cell * len(rows) + 10
    present = [abs(v) for row in values for v in row if v is not None]
    scale = max(present, default=0.0)
    parts: list[SafeString] = []
    for j, name in enumerate(columns):
        x = left + cell * j + cell / 2
        parts.append(
            format_html(
                '<text x="{}" y="{}" transform="rotate(-45 {} {})" fill="{}">{}<title>{}</title></text>',
                _number(x),
                _number(top - 6),
                _number(x),
                _number(top - 6),
                MUTED,
                _short(name),
                name,
            )
        )
    for i, name in enumerate(rows):
        y = top + cell * i
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="end" dominant-baseline="middle">{}<title>{}</title></text>',
                _number(left - 6),
                _number(y + cell / 2),
                _short(name),
                name,
            )
        )
        for j, value in enumerate(values[i]):
            x = left + cell * j
            note = notes[i][j] if notes else ""
            if value is None:
                fill, text, ink = EMPTY, "–", MUTED
            else:
                fill = cell_colour(value, scale=scale, diverging=diverging)
                text = format_value(value)
                ink = "#ffffff" if scale and abs(value) / scale > 0.55 else INK
            parts.append(
                format_html(
                    '<g><title>{}</title><rect x="{}" y="{}" width="{}" height="{}" fill="{}" stroke="{}"/>'
                    '<text x="{}" y="{}" text-anchor="middle" dominant-baseline="middle" fill="{}">{}</text></g>',
                    note or f"{rows[i]} / {columns[j]}: {text}",
                    _number(x),
                    _number(y),
                    cell,
                    cell,
                    fill,
                    LINE,
                    _number(x + cell / 2),
                    _number(y + cell / 2),
                    ink,
                    text,
                )
            )
    return _svg(width=width, height=height, title=title, description=description, body=_join(parts))


def _nice_max(value: float) -> float:
    """The axis top: four equal whole steps of 1, 2 or 5 times a power of ten, reaching ``value``."""
    step = 1.0
    while True:
        for factor in (1, 2, 5):
            if step * factor * 4 >= value:
                return step * factor * 4
        step *= 10


def _y_axis(*, top: float, bottom: float, left: float, right: float, maximum: float) -> list[SafeString]:
    parts = []
    for k in range(5):
        value = maximum * k / 4
        y = bottom - (bottom - top) * k / 4
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}"/>'
                '<text x="{}" y="{}" text-anchor="end" dominant-baseline="middle" fill="{}">{}</text>',
                _number(left),
                _number(right),
                _number(y),
                _number(y),
                LINE,
                _number(left - 6),
                _number(y),
                MUTED,
                _number(value),
            )
        )
    return parts


def histogram(
    *,
    title: str,
    bins: Sequence[tuple[str, int]],
    x_label: str,
    y_label: str = "rows",
    description: str = "",
) -> SafeString:
    """Bars of ``bins`` (label, count) in order, each count printed above its bar."""
    bar, gap, left, top, bottom_space = 38, 6, 48, 24, 78
    plot_height = 200
    width = left + (bar + gap) * len(bins) + 20
    bottom = top + plot_height
    maximum = _nice_max(max((count for _, count in bins), default=0))
    parts = _y_axis(top=top, bottom=bottom, left=left, right=width - 10, maximum=maximum)
    for k, (label, count) in enumerate(bins):
        x = left + gap + (bar + gap) * k
        h = plot_height * count / maximum
        parts.append(
            format_html(
                '<g><title>{}: {} {}</title><rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>'
                '<text x="{}" y="{}" text-anchor="middle">{}</text>'
                '<text x="{}" y="{}" text-anchor="end" transform="rotate(-40 {} {})" fill="{}">{}</text></g>',
                label,
                count,
                y_label,
                _number(x),
                _number(bottom - h),
                bar,
                _number(h),
                SERIES_COLOURS[0],
                _number(x + bar / 2),
                _number(bottom - h - 5),
                count,
                _number(x + bar / 2),
                _number(bottom + 14),
                _number(x + bar / 2),
                _number(bottom + 14),
                MUTED,
                label,
            )
        )
    parts.append(
        format_html(
            '<text x="{}" y="{}" text-anchor="middle" fill="{}">{}</text>'
            '<text x="12" y="{}" transform="rotate(-90 12 {})" text-anchor="middle" fill="{}">{}</text>',
            _number(left + (width - left) / 2),
            _number(bottom + bottom_space - 6),
            MUTED,
            x_label,
            _number(top + plot_height / 2),
            _number(top + plot_height / 2),
            MUTED,
            y_label,
        )
    )
    return _svg(
        width=width, height=bottom + bottom_space, title=title, description=description, body=_join(parts)
    )


def _marker(shape: str, x: float, y: float, colour: str) -> SafeString:
    if shape == "square":
        return format_html(
            '<rect x="{}" y="{}" width="7" height="7" fill="{}"/>', _number(x - 3.5), _number(y - 3.5), colour
        )
    if shape == "triangle":
        return format_html('<path d="M{} {}l4 7h-8z" fill="{}"/>', _number(x), _number(y - 4), colour)
    if shape == "diamond":
        return format_html('<path d="M{} {}l4 4l-4 4l-4 -4z" fill="{}"/>', _number(x), _number(y - 4), colour)
    return format_html('<circle cx="{}" cy="{}" r="3.5" fill="{}"/>', _number(x), _number(y), colour)


def line_chart(
    *,
    title: str,
    x_labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    y_label: str,
    description: str = "",
) -> SafeString:
    """One line per series over ``x_labels`` (e.g. months), with a marker and tooltip at every point and a
    legend; series differ by colour, dash pattern and marker shape."""
    step = 46 if len(x_labels) <= 24 else max(8, 1100 // max(len(x_labels), 1))
    left, top, plot_height = 56, 20, 220
    legend_width = left + 36 + 7 * max((len(name) + 6 for name, _ in series), default=0)
    width = max(left + step * max(len(x_labels), 1) + 20, legend_width)
    bottom = top + plot_height
    legend_top = bottom + 62
    height = legend_top + 18 * len(series) + 8
    maximum = _nice_max(max((v for _, values in series for v in values), default=0))
    parts = _y_axis(top=top, bottom=bottom, left=left, right=width - 10, maximum=maximum)
    label_every = max(1, len(x_labels) // 24)
    for k, label in enumerate(x_labels):
        if k % label_every:
            continue
        x = left + step * k + step / 2
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="end" transform="rotate(-40 {} {})" fill="{}">{}</text>',
                _number(x),
                _number(bottom + 14),
                _number(x),
                _number(bottom + 14),
                MUTED,
                label,
            )
        )
    for s, (name, values) in enumerate(series):
        colour = SERIES_COLOURS[s % len(SERIES_COLOURS)]
        dash = SERIES_DASHES[s % len(SERIES_DASHES)]
        shape = MARKERS[s % len(MARKERS)]
        points = [
            (left + step * k + step / 2, bottom - plot_height * value / maximum)
            for k, value in enumerate(values)
        ]
        path = " ".join(f"{_number(x)},{_number(y)}" for x, y in points)
        parts.append(
            format_html(
                '<polyline points="{}" fill="none" stroke="{}" stroke-width="2" stroke-dasharray="{}"/>',
                path,
                colour,
                dash or "none",
            )
        )
        for (x, y), label, value in zip(points, x_labels, values, strict=True):
            parts.append(
                format_html(
                    "<g><title>{} · {}: {}</title>{}</g>",
                    name,
                    label,
                    _number(value),
                    _marker(shape, x, y, colour),
                )
            )
        y = legend_top + 18 * s
        parts.append(
            format_html(
                '<g><line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="2" stroke-dasharray="{}"/>'
                '{}<text x="{}" y="{}" dominant-baseline="middle">{} ({})</text></g>',
                left,
                left + 28,
                _number(y),
                _number(y),
                colour,
                dash or "none",
                _marker(shape, left + 14, y, colour),
                left + 36,
                _number(y),
                name,
                _number(sum(values)),
            )
        )
    parts.append(
        format_html(
            '<text x="14" y="{}" transform="rotate(-90 14 {})" text-anchor="middle" fill="{}">{}</text>',
            _number(top + plot_height / 2),
            _number(top + plot_height / 2),
            MUTED,
            y_label,
        )
    )
    return _svg(width=width, height=height, title=title, description=description, body=_join(parts))
