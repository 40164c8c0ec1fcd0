"""Accessible SVG charts for selection results and vote rounds' results, as plain strings.

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

from charter.tallies import (
    AGREE,
    DISAGREE,
    LABELS,
    OPTIONS,
    Rule,
    RuleKind,
    Scale,
    Tally,
)
from charter.tallies import percent as tally_percent

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
    pool: int | None   # None: too few respondents to publish (small cells are never shown)

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


# --- the results of a vote round ------------------------------------------------------------------
#
# A diverging stacked bar per principle: the agreeing options run right of a centre line, the
# disagreeing ones left, so the length of the right-hand bar is % agree exactly as the results
# state it. The middle options ("unsure", "agree with concerns") are set apart in a column of
# their own on the same scale rather than split across the centre line: they are part of the
# denominator of % agree, and centring them would move both bars' starts away from the line and
# make agree and disagree hard to compare by length. Strong options sit outermost and are solid;
# the plain ones next to the centre line are hatched, so the two shades never rest on colour
# alone; every total is written at its bar's end, and the table says the same.

STRONG_AGREE = "#1d4f91"
AGREE_FILL = "#3a6db0"
MIDDLE_FILL = "#6b6b6b"
DISAGREE_FILL = "#b0500a"
STRONG_DISAGREE = "#7a3306"
OPTION_FILLS: dict[str, tuple[str, bool]] = {  # option -> (colour, hatched)
    "strongly_agree": (STRONG_AGREE, False),
    "agree": (AGREE_FILL, True),
    "unsure": (MIDDLE_FILL, False),
    "concerns": (MIDDLE_FILL, False),
    "disagree": (DISAGREE_FILL, True),
    "strongly_disagree": (STRONG_DISAGREE, False),
    "block": (STRONG_DISAGREE, False),
}
RULE_NEEDED = {
    "majority": "More than half needed",
    "two_thirds": "Two-thirds needed",
    "three_quarters": "Three-quarters needed",
    "four_fifths": "Four-fifths needed",
}


def contrast_ratio(first: str, second: str) -> float:
    """WCAG's contrast ratio of two #rrggbb colours: at least 3 for marks, 4.5 for text."""

    def luminance(colour: str) -> float:
        channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@dataclass(frozen=True)
class ChartTable:
    """The table that says what a chart shows, for templates to render as a <table>."""

    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def _sides(tally: Tally) -> tuple[list[str], list[str], list[str]]:
    """The options right of the centre line (centre outwards), left of it, and set apart."""
    options = OPTIONS[tally.scale]
    right = [o for o in reversed(options) if o in AGREE[tally.scale]]
    left = [o for o in options if o in DISAGREE[tally.scale]]
    middle = [o for o in options if o not in AGREE[tally.scale] and o not in DISAGREE[tally.scale]]
    return right, left, middle


def _fill(option: str, id_prefix: str) -> str:
    colour, hatched = OPTION_FILLS[option]
    return f"url(#{id_prefix}-hatch-{option})" if hatched else colour


def _patterns(id_prefix: str, options: Sequence[str]) -> str:
    parts = []
    for option in options:
        colour, hatched = OPTION_FILLS[option]
        if hatched:
            parts.append(
                f'<pattern id="{id_prefix}-hatch-{option}" patternUnits="userSpaceOnUse" width="6" '
                f'height="6" patternTransform="rotate(45)"><rect width="6" height="6" '
                f'fill="{colour}"/><line x1="0" y1="0" x2="0" y2="6" stroke="#ffffff" '
                f'stroke-width="1.5"/></pattern>'
            )
    return "<defs>" + "".join(parts) + "</defs>" if parts else ""


def _ballot_legend(options: Sequence[str], id_prefix: str, y: float) -> list[str]:
    out = ['<g class="legend">']
    x = 8.0
    for option in options:
        out.append(f'<rect {_attrs(x=x, y=y, width=18, height=14, fill=_fill(option, id_prefix))}/>')
        label = LABELS[option]
        out.append(_text(x + 24, y + 12, label, font_size=12))
        x += 24 + CHAR_WIDTH * 0.93 * len(label) + 16
    out.append("</g>")
    return out


def _needed(rule: Rule | None) -> tuple[float, str] | None:
    if rule is None:
        return None
    if rule.kind is RuleKind.consent:
        return float(rule.threshold), f"{tally_percent(float(rule.threshold))} needed, no block"
    label = RULE_NEEDED[rule.kind.value]
    if rule.on_lower_bound:
        label += " (lower end)"
    return float(rule.threshold), label


def _ballot_row(tally: Tally, *, y: float, centre: float, half: float, middle_x: float,
                bar: float, id_prefix: str, interval: bool = True) -> list[str]:
    """One principle's bars at height y: segments, totals at the bar ends, the interval."""
    right, left, middle = _sides(tally)
    out: list[str] = []

    def segment(option: str, x: float, width: float) -> str:
        count = tally.counts[option]
        share = tally.share(option)
        words = f"{LABELS[option]}: {count} ballot{'s' if count != 1 else ''} ({tally_percent(share)})"
        rect = (f'<rect {_attrs(x=x, y=y, width=width, height=bar, fill=_fill(option, id_prefix))} '
                f'stroke="#ffffff" stroke-width="1"/>' if width > 0 else "")
        return (f'<g class="option" {_attrs(data_option=option, data_count=count, data_share=share)}>'
                f"<title>{escape(words)}</title>{rect}</g>")

    x = centre
    for option in right:
        width = tally.share(option) * half
        out.append(segment(option, x, width))
        x += width
    agree_end = x
    x = centre
    for option in left:
        width = tally.share(option) * half
        x -= width
        out.append(segment(option, x, width))
    disagree_end = x
    x = middle_x
    for option in middle:
        width = tally.share(option) * half
        out.append(segment(option, x, width))
        x += width
    middle_share = sum(tally.share(o) for o in middle)
    text_y = y + bar / 2 + 4.5
    reach = max(agree_end, centre + tally.interval[1] * half) if interval and tally.valid \
        else agree_end
    # A white ground under the figure keeps it legible where the dashed line crosses it.
    figure = tally_percent(tally.share_agree)
    out.append(f'<rect {_attrs(x=reach + 3, y=text_y - 12, width=CHAR_WIDTH * len(figure) + 6, height=16, fill="#ffffff")}/>')
    out.append(_text(reach + 6, text_y, figure, font_size=12, font_weight="bold",
                     class_="total-agree"))
    disagree_share = tally.disagree / tally.valid if tally.valid else 0.0
    out.append(_text(disagree_end - 6, text_y, tally_percent(disagree_share), font_size=12,
                     text_anchor="end", class_="total-disagree"))
    if middle:
        out.append(_text(x + 6, text_y, tally_percent(middle_share), font_size=12,
                         class_="total-middle"))
    if interval and tally.valid:
        low, high = tally.interval
        wy = y + bar + 5
        x1, x2 = centre + low * half, centre + high * half
        out.append(
            f'<g class="interval" {_attrs(data_low=low, data_high=high)}>'
            f"<title>{escape(f'95 % interval: {tally_percent(low)} to {tally_percent(high)}')}</title>"
            f'<line {_attrs(x1=x1, x2=x2, y1=wy, y2=wy, stroke=INK, stroke_width=1.5)}/>'
            f'<line {_attrs(x1=x1, x2=x1, y1=wy - 3, y2=wy + 3, stroke=INK, stroke_width=1.5)}/>'
            f'<line {_attrs(x1=x2, x2=x2, y1=wy - 3, y2=wy + 3, stroke=INK, stroke_width=1.5)}/>'
            "</g>"
        )
    return out


def _ballot_words(tally: Tally) -> str:
    """The distribution in a sentence, for <desc> and screen readers."""
    right, left, middle = _sides(tally)

    def group(options: list[str], total: int, word: str) -> str:
        share = total / tally.valid if tally.valid else 0.0
        in_order = [o for o in OPTIONS[tally.scale] if o in options]
        detail = ", ".join(f"{tally.counts[o]} {LABELS[o].lower()}" for o in in_order)
        inner = f" ({detail})" if len(options) > 1 else ""
        return f"{tally_percent(share)} {word}, {total} ballot{'s' if total != 1 else ''}{inner}"

    parts = [group(right, tally.agree, "agree"),
             group(left, tally.disagree, "block" if tally.scale is Scale.consent else "disagree")]
    if middle:
        middle_total = sum(tally.counts[o] for o in middle)
        parts.append(group(middle, middle_total, " or ".join(LABELS[o].lower() for o in middle)))
    low, high = tally.interval
    return (f"{tally.valid} ballot{'s' if tally.valid != 1 else ''} of {tally.eligible} eligible "
            f"members: " + "; ".join(parts) + f". 95 % interval of agreement "
            f"{tally_percent(low)} to {tally_percent(high)}. {tally.decision.reason}.")


def ballot_chart(
    tally: Tally,
    *,
    title: str,
    rule: Rule | None = None,
    id_prefix: str = "ballot",
    width: int = 640,
) -> str:
    """One principle's ballots as a diverging stacked bar, with its 95 % interval under the
    agreeing bar and, given the round's rule, the share needed as a dashed line."""
    middle = _sides(tally)[2]
    options = list(OPTIONS[tally.scale])
    needed = _needed(rule)
    margin = 56.0
    middle_width = max(0.3, max((tally.share(o) for o in middle), default=0.0)) if middle else 0.0
    gap = 70.0 if middle else 0.0
    half = (width - 2 * margin - gap - 50) / (2 + middle_width)
    centre = margin + half
    middle_x = centre + half + gap
    legend_y, axis_y, bar_y, bar = 10.0, 58.0, 70.0, 26.0
    height = int(bar_y + bar + 44)

    out = _open(width, height, id_prefix, title, _ballot_words(tally))
    out.append(_patterns(id_prefix, options))
    out.append(f'<rect {_attrs(width=width, height=height, fill="#ffffff")}/>')
    out.extend(_ballot_legend(options, id_prefix, legend_y))
    out.extend(_diverging_axis(centre, half, axis_y, bar_y + bar + 14, middle_x, middle,
                               tally.scale))
    if needed is not None:
        out.extend(_needed_line(needed, centre, half, axis_y + 4, bar_y + bar + 12))
    out.extend(_ballot_row(tally, y=bar_y, centre=centre, half=half, middle_x=middle_x, bar=bar,
                           id_prefix=id_prefix))
    out.append(_chart_note(tally.valid > 0, needed, 8, bar_y + bar + 32))
    out.append("</svg>")
    return "\n".join(out)


def _diverging_axis(centre: float, half: float, top: float, bottom: float, middle_x: float,
                    middle: Sequence[str], scale: Scale) -> list[str]:
    out = ['<g class="axis">']
    for share in (-1.0, -0.5, 0.0, 0.5, 1.0):
        x = centre + share * half
        colour, stroke = (INK, 2) if share == 0 else ("#d0d0d0", 1)
        out.append(f'<line {_attrs(class_="centre" if share == 0 else "tick", data_share=share, x1=x, x2=x, y1=top, y2=bottom, stroke=colour, stroke_width=stroke)}/>')
        out.append(_text(x, top - 4, f"{abs(share) * 100:.0f}%", font_size=11, fill=MUTED,
                         text_anchor="middle"))
    against = "Block" if scale is Scale.consent else "Disagree"
    out.append(_text(centre - 8, top - 18, f"← {against}", font_size=12, text_anchor="end"))
    out.append(_text(centre + 8, top - 18, "Agree →", font_size=12))
    if middle:
        out.append(_text(middle_x, top - 4, " / ".join(LABELS[o] for o in middle), font_size=12))
    out.append("</g>")
    return out


def _needed_line(needed: tuple[float, str], centre: float, half: float, top: float,
                 bottom: float) -> list[str]:
    share, label = needed
    x = centre + share * half
    return [
        f'<g class="needed" {_attrs(data_share=share)}>',
        f"<title>{escape(label)}</title>",
        f'<line {_attrs(x1=x, x2=x, y1=top, y2=bottom, stroke=INK, stroke_width=1.5, stroke_dasharray="4 3")}/>',
        "</g>",
    ]


def _chart_note(interval: bool, needed: tuple[float, str] | None, x: float, y: float) -> str:
    """The key to the marks that are not options: the interval's whisker, the dashed line."""
    parts = []
    if interval:
        parts.append("Whisker under the bar: 95 % interval of agreement.")
    if needed is not None:
        parts.append(f"Dashed line: {needed[1][0].lower()}{needed[1][1:]}.")
    return _text(x, y, " ".join(parts), font_size=11, fill=MUTED, class_="note")


def ballot_table(tally: Tally, *, caption: str) -> ChartTable:
    """What `ballot_chart` shows, as a table: ballots and share per option, then the totals."""
    rows = [(LABELS[o], str(tally.counts[o]), tally_percent(tally.share(o)))
            for o in OPTIONS[tally.scale]]
    rows.append(("All ballots", str(tally.valid), tally_percent(1.0 if tally.valid else 0.0)))
    rows.append(("Agree in all", str(tally.agree), tally_percent(tally.share_agree)))
    low, high = tally.interval
    rows.append(("95 % interval of agreement", "",
                 f"{tally_percent(low)} to {tally_percent(high)}"))
    rows.append(("Turnout", f"{tally.valid} of {tally.eligible}", tally_percent(tally.turnout)))
    return ChartTable(caption, ("Choice", "Ballots", "Share"), tuple(rows))


def in_order_of_agreement(principles: Sequence[tuple[str, Tally]]) -> list[tuple[str, Tally]]:
    """Principles from the most agreed to the least; ties keep the order given (the draft's)."""
    return sorted(principles, key=lambda item: -item[1].share_agree)


def agreement_overview_chart(
    principles: Sequence[tuple[str, Tally]],
    *,
    title: str = "All principles, in order of agreement",
    rule: Rule | None = None,
    id_prefix: str = "overview",
    width: int = 880,
    label_chars: int = 32,
) -> str:
    """Every principle of a vote round as one row of diverging bars, most agreed first, with
    "Adopted" or "Not adopted" written at the end of each row (never colour alone)."""
    if not principles:
        raise ValueError("no principles to draw")
    scales = {t.scale for _, t in principles}
    if len(scales) != 1:
        raise ValueError("the principles of one chart must share a scale")
    ordered = in_order_of_agreement(principles)
    sample = ordered[0][1]
    middle = _sides(sample)[2]
    options = list(OPTIONS[sample.scale])
    label_width = CHAR_WIDTH * label_chars + 16
    decision_width = 96.0
    gap = 70.0 if middle else 0.0
    middle_width = max(0.3, max((t.share(o) for _, t in ordered for o in middle), default=0.0)) \
        if middle else 0.0
    half = (width - label_width - decision_width - gap - 50 - 44) / (2 + middle_width)
    centre = label_width + 44 + half
    middle_x = centre + half + gap
    legend_y, axis_y, first_y, bar, row = 10.0, 58.0, 72.0, 18.0, 34.0
    height = int(first_y + row * len(ordered) + 36)
    decision_x = width - decision_width + 4

    adopted = [label for label, t in ordered if t.decision.adopted]
    desc = (f"{len(ordered)} principles, from the most agreed to the least. "
            + " ".join(f"{i}. {label}: {tally_percent(t.share_agree)} agree, "
                       f"{'adopted' if t.decision.adopted else 'not adopted'}."
                       for i, (label, t) in enumerate(ordered, start=1))
            + f" {len(adopted)} of {len(ordered)} adopted.")
    out = _open(width, height, id_prefix, title, desc)
    out.append(_patterns(id_prefix, options))
    out.append(f'<rect {_attrs(width=width, height=height, fill="#ffffff")}/>')
    out.extend(_ballot_legend(options, id_prefix, legend_y))
    out.extend(_diverging_axis(centre, half, axis_y, height - 30, middle_x, middle, sample.scale))
    needed = _needed(rule)
    if needed is not None:
        out.extend(_needed_line(needed, centre, half, axis_y + 4, height - 30))
    for index, (label, result) in enumerate(ordered):
        y = first_y + index * row
        shown = label if len(label) <= label_chars else label[: label_chars - 1].rstrip() + "…"
        out.append(f'<g class="principle" {_attrs(data_label=label, data_share=result.share_agree, data_adopted=str(result.decision.adopted).lower())}>')
        out.append(f"<title>{escape(f'{label}: {result.decision.reason}')}</title>")
        out.append(_text(8, y + bar / 2 + 4.5, shown, font_size=12))
        out.extend(_ballot_row(result, y=y, centre=centre, half=half, middle_x=middle_x, bar=bar,
                               id_prefix=id_prefix))
        word = "Adopted" if result.decision.adopted else (
            "No decision" if not result.decision.quorum_met else "Not adopted")
        out.append(_text(decision_x, y + bar / 2 + 4.5, word, font_size=12,
                         font_weight="bold" if result.decision.adopted else None))
        out.append("</g>")
    out.append(_chart_note(True, needed, 8, height - 10))
    out.append("</svg>")
    return "\n".join(out)


def overview_table(principles: Sequence[tuple[str, Tally]], *,
                   caption: str = "All principles, in order of agreement") -> ChartTable:
    """What `agreement_overview_chart` shows, as a table, in the same order."""
    ordered = in_order_of_agreement(principles)
    options = OPTIONS[ordered[0][1].scale] if ordered else ()
    columns = ("Principle", "% agree", "95 % interval", *(LABELS[o] for o in options),
               "Ballots", "Decision")
    rows = []
    for label, result in ordered:
        low, high = result.interval
        rows.append((label, tally_percent(result.share_agree),
                     f"{tally_percent(low)} to {tally_percent(high)}",
                     *(f"{result.counts[o]} ({tally_percent(result.share(o))})" for o in options),
                     str(result.valid), result.decision.reason))
    return ChartTable(caption, columns, tuple(rows))


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
        + [math.ceil(r.pool / pool_size * panel_size) for r in rows if r.pool is not None]
        + [1]
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
    pool = "pool not shown: too few" if row.pool is None else f"pool {percent(row.pool / pool_size)}"
    note = f"{seats(row.panel)} (target {target}; {pool})"
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
    if row.pool is not None:
        share_seats = row.pool / pool_size * panel_size
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
