"""Accessible SVG charts for selection results, as plain strings.

Pure functions (no web or database imports) so the same chart appears in the officer's browser,
in the published charter and in a WeasyPrint PDF. Every chart is `role="img"` with a `<title>`
and a `<desc>` that says in words what the picture shows; values are written next to the marks,
and meaning never rests on colour alone (the target range is hatched, the pool share is a
diamond, a category outside its target says so in text). Only presentation attributes are used,
never a `<style>` element, so a strict content security policy and WeasyPrint both accept it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

INK = "#1a1a1a"
MUTED = "#555555"
PANEL = "#1d4f91"
TARGET_LINE = "#5a5a5a"
TARGET_FILL = "#f0f0f0"
POOL = "#000000"
WARNING = "#a4262c"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif"
CHAR_WIDTH = 7.2  # average width of a 13px glyph; labels are laid out from it


@dataclass(frozen=True)
class CompositionRow:
    """One category: seats it has on the panel, its target range, and respondents in the pool."""

    feature: str
    value: str
    panel: float  # seats; fractional for the expected composition before the draw
    minimum: int
    maximum: int
    pool: int

    @property
    def within_target(self) -> bool:
        return self.minimum - 1e-9 <= self.panel <= self.maximum + 1e-9


def seats(value: float) -> str:
    """Seats as a whole number when they are one, else to one decimal (expected seats)."""
    return str(int(round(value))) if abs(value - round(value)) < 1e-9 else f"{value:.1f}"


def percent(fraction: float) -> str:
    """A probability or share as people read it: 12.5%, 0.43% for small ones."""
    value = fraction * 100
    if value != 0 and abs(value) < 1:
        return f"{value:.2f}%"
    return f"{value:.1f}%"


def _attrs(**values: object) -> str:
    parts = []
    for name, value in values.items():
        if value is None:
            continue
        if isinstance(value, float):
            # Geometry to the hundredth of a pixel; data values exact enough to check.
            value = f"{value:.6g}" if name.startswith("data_") else (
                f"{value:.2f}".rstrip("0").rstrip(".")
            )
        parts.append(f"{name.rstrip('_').replace('_', '-')}={quoteattr(str(value))}")
    return " ".join(parts)


def _text(x: float, y: float, content: str, **extra: object) -> str:
    defaults: dict[str, object] = {"font_size": 13, "fill": INK}
    defaults.update(extra)
    return f"<text {_attrs(x=x, y=y, **defaults)}>{escape(content)}</text>"


def _open(width: float, height: float, id_prefix: str, title: str, desc: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" '
        f'{_attrs(width=width, height=height, viewBox=f"0 0 {width:g} {height:g}")} '
        f'aria-labelledby="{id_prefix}-title {id_prefix}-desc" '
        f"font-family={quoteattr(FONT)}>",
        f'<title id="{id_prefix}-title">{escape(title)}</title>',
        f'<desc id="{id_prefix}-desc">{escape(desc)}</desc>',
    ]


def _nice_ceiling(value: float) -> float:
    """The smallest round number (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten)
    that is at least `value`, so the axis is not much taller than the data."""
    if value <= 0:
        return 1.0
    power: float = 10 ** math.floor(math.log10(value))
    for step in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if step * power >= value - 1e-12:
            return step * power
    return 10 * power


def _seat_step(top: float) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100):
        if top / step <= 10:
            return step
    return max(1, int(top // 10))


def composition_chart(
    rows: Sequence[CompositionRow],
    *,
    panel_size: int,
    pool_size: int,
    title: str = "Panel composition against targets and the pool",
    id_prefix: str = "composition",
    width: int = 760,
) -> str:
    """Seats per category on one scale: panel (solid bar), target range (hatched), pool share.

    The pool share is drawn in seats too (the category's share of the pool times the panel
    size), so the three can be compared at a glance and read as numbers in the right column.
    """
    if panel_size <= 0 or pool_size <= 0:
        raise ValueError("panel_size and pool_size must be positive")
    features: dict[str, list[CompositionRow]] = {}
    for row in rows:
        features.setdefault(row.feature, []).append(row)

    outside = [r for r in rows if not r.within_target]
    summary = (
        f"Panel of {panel_size} drawn from a pool of {pool_size:,}. For each category the chart "
        "shows the seats it has on the panel as a solid bar, its target range as a hatched band, "
        "and its share of the pool, converted into seats, as a diamond. "
    )
    if outside:
        summary += f"{len(outside)} categor{'y is' if len(outside) == 1 else 'ies are'} outside " + (
            "the target: " + "; ".join(f"{r.feature} {r.value} has {seats(r.panel)}"
                                       for r in outside) + "."
        )
    else:
        summary += "Every category is within its target."

    label_width = max([CHAR_WIDTH * len(r.value) for r in rows] + [CHAR_WIDTH * 10]) + 16
    label_width = min(label_width, 220)
    notes = [_row_note(r, panel_size, pool_size) for r in rows]
    note_width = max([CHAR_WIDTH * len(n) for n in notes] + [120]) + 12
    plot_left = label_width
    plot_width = max(200.0, width - label_width - note_width)
    width = int(plot_left + plot_width + note_width)

    top_seats = max(
        [r.maximum for r in rows] + [r.panel for r in rows]
        + [math.ceil(r.pool / pool_size * panel_size) for r in rows] + [1]
    )
    step = _seat_step(top_seats)
    axis_max = step * math.ceil(top_seats / step)
    scale = plot_width / axis_max

    row_height, feature_height, legend_height, axis_height = 30, 26, 56, 28
    height = legend_height + axis_height + sum(
        feature_height + row_height * len(group) for group in features.values()
    ) + 10

    out = _open(width, height, id_prefix, title, summary)
    out.append(
        '<defs><pattern id="{0}-hatch" patternUnits="userSpaceOnUse" width="6" height="6" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="{1}"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="{2}" stroke-width="2"/></pattern></defs>'.format(
            id_prefix, TARGET_FILL, TARGET_LINE
        )
    )
    out.append(f'<rect {_attrs(width=width, height=height, fill="#ffffff")}/>')
    out.extend(_composition_legend(id_prefix, plot_left))

    # Axis along the top of the plot, in seats.
    axis_y = legend_height + axis_height - 8
    out.append('<g class="axis">')
    out.append(_text(plot_left, legend_height + 4, "Seats on the panel", fill=MUTED, font_size=12))
    for tick in range(0, axis_max + 1, step):
        x = plot_left + tick * scale
        out.append(_text(x, axis_y - 4, str(tick), font_size=11, fill=MUTED, text_anchor="middle"))
        out.append(
            f'<line {_attrs(x1=x, x2=x, y1=axis_y, y2=height - 10, stroke="#d0d0d0", stroke_width=1)}/>'
        )
    out.append("</g>")

    y = float(legend_height + axis_height)
    note_x = plot_left + plot_width + 12
    for feature, group in features.items():
        out.append(_text(8, y + 18, feature, font_weight="bold", font_size=14))
        y += feature_height
        for row in group:
            out.append(_composition_row(row, y, row_height, plot_left, scale, panel_size,
                                        pool_size, id_prefix, note_x))
            y += row_height
    out.append("</svg>")
    return "\n".join(out)


def _row_note(row: CompositionRow, panel_size: int, pool_size: int) -> str:
    target = f"{row.minimum}" if row.minimum == row.maximum else f"{row.minimum}–{row.maximum}"
    note = f"{seats(row.panel)} (target {target}; pool {percent(row.pool / pool_size)})"
    if not row.within_target:
        note += " outside target"
    return note


def _composition_legend(id_prefix: str, left: float) -> list[str]:
    x = 8.0
    out = ['<g class="legend">']
    out.append(f'<rect {_attrs(x=x, y=10, width=28, height=12, fill=PANEL)}/>')
    out.append(_text(x + 34, 21, "Panel seats"))
    x += 34 + CHAR_WIDTH * 11 + 20
    out.append(
        f'<rect {_attrs(x=x, y=6, width=28, height=20, fill=f"url(#{id_prefix}-hatch)", stroke=TARGET_LINE)}/>'
    )
    out.append(_text(x + 34, 21, "Target range"))
    x += 34 + CHAR_WIDTH * 12 + 20
    out.append(_diamond(x + 8, 16, 6))
    out.append(_text(x + 20, 21, "Pool share, in seats"))
    out.append(_text(8, 44, "Numbers on the right: seats (target; share of the pool).", fill=MUTED,
                     font_size=12))
    out.append("</g>")
    return out


def _diamond(cx: float, cy: float, r: float) -> str:
    points = f"{cx:.2f},{cy - r:.2f} {cx + r:.2f},{cy:.2f} {cx:.2f},{cy + r:.2f} {cx - r:.2f},{cy:.2f}"
    return f'<polygon points="{points}" fill="{POOL}" stroke="#ffffff" stroke-width="1"/>'


def _composition_row(
    row: CompositionRow,
    y: float,
    height: float,
    left: float,
    scale: float,
    panel_size: int,
    pool_size: int,
    id_prefix: str,
    note_x: float,
) -> str:
    share_seats = row.pool / pool_size * panel_size
    note = _row_note(row, panel_size, pool_size)
    label = f"{row.feature} {row.value}: {note}"
    middle = y + height / 2
    parts = [
        f'<g class="category" {_attrs(data_feature=row.feature, data_value=row.value, data_panel=row.panel, data_min=row.minimum, data_max=row.maximum, data_pool=row.pool)}>',
        f"<title>{escape(label)}</title>",
        _text(left - 8, middle + 4.5, row.value, text_anchor="end"),
    ]
    target_width = max((row.maximum - row.minimum) * scale, 2.0)
    parts.append(
        f'<rect class="target" {_attrs(x=left + row.minimum * scale, y=y + 3, width=target_width, height=height - 6, fill=f"url(#{id_prefix}-hatch)", stroke=TARGET_LINE, stroke_width=1)}/>'
    )
    if row.panel > 0:
        parts.append(
            f'<rect class="panel" {_attrs(x=left, y=middle - 6, width=row.panel * scale, height=12, fill=PANEL)}/>'
        )
    parts.append(
        f'<g class="pool-share" {_attrs(data_seats=round(share_seats, 4))}>'
        + _diamond(left + share_seats * scale, middle, 6)
        + "</g>"
    )
    colour = WARNING if not row.within_target else INK
    weight = "bold" if not row.within_target else None
    parts.append(_text(note_x, middle + 4.5, note, fill=colour, font_weight=weight, font_size=12))
    parts.append("</g>")
    return "".join(parts)


def probability_chart(
    probabilities: Sequence[float],
    *,
    panel_size: int,
    title: str = "Each respondent's chance of selection",
    id_prefix: str = "probabilities",
    width: int = 760,
    height: int = 320,
    max_points: int = 600,
) -> str:
    """The sorted profile of selection probabilities with the equal-chance line k/n.

    A flat profile close to k/n is a fair selection; a long low tail is people the quotas
    leave with little chance. Large pools are drawn from evenly spaced order statistics (always
    including the lowest and highest) so the file stays small.
    """
    values = sorted(float(p) for p in probabilities)
    n = len(values)
    if n == 0:
        raise ValueError("no probabilities to draw")
    equal = panel_size / n
    low, high = values[0], values[-1]
    below_half = sum(1 for v in values if v < equal / 2)
    desc = (
        f"Selection chances of all {n:,} respondents, sorted from lowest to highest. "
        f"Lowest {percent(low)}, highest {percent(high)}; an equal chance for everyone would be "
        f"{panel_size} in {n:,}, that is {percent(equal)}. "
        f"{below_half:,} respondent{'s have' if below_half != 1 else ' has'} less than half of that."
    )
    out = _open(width, height, id_prefix, title, desc)
    out.append(f'<rect {_attrs(width=width, height=height, fill="#ffffff")}/>')

    left, right, top, bottom = 64.0, 150.0, 24.0, 52.0
    plot_w, plot_h = width - left - right, height - top - bottom
    # A chance is at most 100%: never draw the axis beyond it.
    y_max = min(_nice_ceiling(max(high, equal) * 1.1), 1.0) if max(high, equal) <= 1 else \
        _nice_ceiling(max(high, equal))

    def x_of(i: int) -> float:
        return left + (i + 0.5) / n * plot_w

    def y_of(p: float) -> float:
        return top + plot_h - p / y_max * plot_h

    # Y axis in percent with grid lines.
    out.append('<g class="axis">')
    ticks = 5
    for t in range(ticks + 1):
        value = y_max * t / ticks
        yy = y_of(value)
        out.append(f'<line {_attrs(x1=left, x2=left + plot_w, y1=yy, y2=yy, stroke="#e0e0e0")}/>')
        out.append(_text(left - 6, yy + 4, percent(value), font_size=11, fill=MUTED, text_anchor="end"))
    out.append(f'<line {_attrs(x1=left, x2=left, y1=top, y2=top + plot_h, stroke=MUTED)}/>')
    out.append(
        f'<line {_attrs(x1=left, x2=left + plot_w, y1=top + plot_h, y2=top + plot_h, stroke=MUTED)}/>'
    )
    out.append(_text(left, height - 24, "Lowest chance", font_size=12, fill=MUTED))
    out.append(_text(left + plot_w, height - 24, "Highest chance", font_size=12, fill=MUTED,
                     text_anchor="end"))
    out.append(_text(left + plot_w / 2, height - 8, f"All {n:,} respondents, sorted by chance",
                     font_size=12, fill=MUTED, text_anchor="middle"))
    out.append("</g>")

    if n <= max_points:
        indices = list(range(n))
    else:
        indices = sorted({round(j * (n - 1) / (max_points - 1)) for j in range(max_points)})
    points = [(x_of(i), y_of(values[i])) for i in indices]
    area = (
        f"{left:.2f},{top + plot_h:.2f} "
        + " ".join(f"{x:.2f},{yy:.2f}" for x, yy in points)
        + f" {left + plot_w:.2f},{top + plot_h:.2f}"
    )
    out.append(f'<polygon class="profile-area" points="{area}" fill="#dbe6f4"/>')
    out.append(
        f'<polyline class="profile" {_attrs(data_count=n, data_min=low, data_max=high)} '
        f'points="{" ".join(f"{x:.2f},{yy:.2f}" for x, yy in points)}" fill="none" '
        f'stroke="{PANEL}" stroke-width="2.5"/>'
    )

    eq_y = y_of(equal)
    out.append(
        f'<g class="equal-line" {_attrs(data_value=equal)}>'
        f'<line {_attrs(x1=left, x2=left + plot_w, y1=eq_y, y2=eq_y, stroke=INK, stroke_width=1.5, stroke_dasharray="6 4")}/>'
        + _text(left + plot_w + 6, eq_y + 4, f"Equal chance {percent(equal)}", font_size=12)
        + "</g>"
    )
    for cls, index, value, label in (
        ("minimum", 0, low, f"Lowest {percent(low)}"),
        ("maximum", n - 1, high, f"Highest {percent(high)}"),
    ):
        cx, cy = x_of(index), y_of(value)
        label_y = cy + (16 if cls == "minimum" else -8)
        if cls == "minimum" and abs(label_y - 4 - eq_y) < 14:
            label_y = eq_y + 20
        if cls == "maximum" and abs(label_y - eq_y) < 14:
            label_y = eq_y - 14
        anchor = "start" if cls == "minimum" else "end"
        lx = cx + (6 if cls == "minimum" else -6)
        out.append(
            f'<g class="{cls}" {_attrs(data_value=value)}>'
            f'<circle {_attrs(cx=cx, cy=cy, r=4.5, fill=PANEL, stroke="#ffffff", stroke_width=1.5)}/>'
            + _text(lx, max(top + 10, min(label_y, top + plot_h - 4)), label, font_size=12,
                    font_weight="bold", text_anchor=anchor)
            + "</g>"
        )
    out.append("</svg>")
    return "\n".join(out)


# --- the opinion map of a discuss round ------------------------------------------------------------

# Okabe and Ito's palette, distinct for the common colour-vision deficiencies; each group also has
# its own shape and a letter written at its centre, so colour is never the only cue.
GROUP_COLOURS = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#8f6a00")
GROUP_SHAPES = ("circle", "square", "triangle", "diamond", "cross")
GROUP_LETTERS = "ABCDEFGHIJ"


@dataclass(frozen=True)
class MapGroup:
    """One opinion group on the map: its participants' positions (empty when its marks are
    withheld, e.g. a group too small to show to members) and its size as it may be shown (None:
    not shown)."""

    letter: str
    points: tuple[tuple[float, float], ...]
    size: int | None


def group_letter(index: int) -> str:
    """How people call a group: A, B, C... as Pol.is does."""
    return GROUP_LETTERS[index] if index < len(GROUP_LETTERS) else str(index + 1)


def _mark(shape: str, x: float, y: float, r: float, colour: str) -> str:
    if shape == "circle":
        return f'<circle {_attrs(cx=x, cy=y, r=r, fill=colour)}/>'
    if shape == "square":
        return f'<rect {_attrs(x=x - r, y=y - r, width=2 * r, height=2 * r, fill=colour)}/>'
    if shape == "triangle":
        h = r * 1.2
        return (f'<polygon points="{x:.2f},{y - h:.2f} {x - h:.2f},{y + h * 0.8:.2f} '
                f'{x + h:.2f},{y + h * 0.8:.2f}" fill="{colour}"/>')
    if shape == "diamond":
        d = r * 1.3
        return (f'<polygon points="{x:.2f},{y - d:.2f} {x + d:.2f},{y:.2f} {x:.2f},{y + d:.2f} '
                f'{x - d:.2f},{y:.2f}" fill="{colour}"/>')
    w = r * 0.45  # a plus sign: two bars
    return (f'<path d="M{x - r:.2f} {y - w:.2f}h{2 * r:.2f}v{2 * w:.2f}h{-2 * r:.2f}z'
            f'M{x - w:.2f} {y - r:.2f}h{2 * w:.2f}v{2 * r:.2f}h{-2 * w:.2f}z" fill="{colour}"/>')


def where_on_map(point: tuple[float, float], centre: tuple[float, float],
                 spread: float) -> str:
    """A group's place in words, as a sighted reader would say it: "upper left", "centre"."""
    dx, dy = point[0] - centre[0], point[1] - centre[1]
    near = 0.25 * spread
    across = "" if abs(dx) < near else ("right" if dx > 0 else "left")
    up_down = "" if abs(dy) < near else ("upper" if dy > 0 else "lower")
    if not across and not up_down:
        return "centre"
    if not across:
        return "top" if up_down == "upper" else "bottom"
    return f"{up_down} {across}".strip()


def opinion_map(
    groups: Sequence[MapGroup],
    *,
    you: tuple[float, float] | None = None,
    hidden_note: str = "",
    title: str = "Opinion map",
    id_prefix: str = "opinion-map",
    width: int = 640,
    height: int = 420,
) -> str:
    """Participants placed by how they voted (Pol.is's two principal components): people who
    voted alike are near each other. Each group has a colour, a shape and its letter at its
    centre; `you` marks the reader's own place with a ring and the word "You". The axes have no
    meaning of their own, so none are drawn; the description says where each group lies.
    `hidden_note` ends the description, for marks withheld from this audience."""
    everyone = [p for g in groups for p in g.points] + ([you] if you else [])
    shown = [g for g in groups if g.points]
    if everyone:
        xs, ys = [p[0] for p in everyone], [p[1] for p in everyone]
        low_x, high_x, low_y, high_y = min(xs), max(xs), min(ys), max(ys)
    else:
        low_x = high_x = low_y = high_y = 0.0
    span = max(high_x - low_x, high_y - low_y, 1e-9)
    centre = ((low_x + high_x) / 2, (low_y + high_y) / 2)
    pad = 40.0
    scale = min((width - 2 * pad) / max(high_x - low_x, 1e-9),
                (height - 2 * pad) / max(high_y - low_y, 1e-9)) if everyone else 1.0
    scale = min(scale, (width - 2 * pad) / span * 4)  # one tight cluster: no giant spread

    def to_px(point: tuple[float, float]) -> tuple[float, float]:
        # Up on the map is up in the data (SVG's y runs downwards).
        return (width / 2 + (point[0] - centre[0]) * scale,
                height / 2 - (point[1] - centre[1]) * scale)

    counted = sum(len(g.points) for g in shown if g.size is not None)
    parts = [(f"Each mark is one participant; people who voted alike are close together. "
              f"{counted} participant{'s' if counted != 1 else ''} in {len(shown)} "
              f"group{'s' if len(shown) != 1 else ''} shown.")]
    centres: dict[str, tuple[float, float]] = {}
    for index, group in enumerate(groups):
        if not group.points:
            continue
        gx = sum(p[0] for p in group.points) / len(group.points)
        gy = sum(p[1] for p in group.points) / len(group.points)
        centres[group.letter] = (gx, gy)
        size = f"{group.size} participant{'s' if group.size != 1 else ''}" \
            if group.size is not None else "a few participants"
        parts.append(f"Group {group.letter} ({GROUP_SHAPES[index % 5]}s): {size}, "
                     f"{where_on_map((gx, gy), centre, span)}.")
    if you is not None:
        parts.append(f"You are at the {where_on_map(you, centre, span)}.")
    if hidden_note:
        parts.append(hidden_note)
    out = _open(width, height, id_prefix, title, " ".join(parts))
    out.append(f'<rect {_attrs(width=width, height=height, fill="#ffffff", stroke="#d0d0d0")}/>')
    for index, group in enumerate(groups):
        if not group.points:
            continue
        colour, shape = GROUP_COLOURS[index % 5], GROUP_SHAPES[index % 5]
        out.append(f'<g class="group" {_attrs(data_group=group.letter, data_size=group.size)}>')
        for point in group.points:
            x, y = to_px(point)
            out.append(_mark(shape, x, y, 5.0, colour).replace(
                "/>", ' class="participant"/>', 1))
        out.append("</g>")
    for index, group in enumerate(groups):  # letters on top of every mark
        if group.letter not in centres:
            continue
        x, y = to_px(centres[group.letter])
        out.append(f'<g class="group-label" {_attrs(data_group=group.letter)}>'
                   f'<circle {_attrs(cx=x, cy=y, r=14, fill="#ffffff", stroke=INK, stroke_width=2)}/>'
                   + _text(x, y + 6, group.letter, font_size=17, font_weight="bold",
                           text_anchor="middle") + "</g>")
    if you is not None:
        x, y = to_px(you)
        out.append(f'<g class="you"><circle {_attrs(cx=x, cy=y, r=10, fill="none", stroke=INK, stroke_width=3)}/>'
                   + _text(x + 14, y - 10, "You", font_size=15, font_weight="bold") + "</g>")
    out.append("</svg>")
    return "\n".join(out)
