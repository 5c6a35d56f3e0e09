"""The directive's pictures, drawn on the server as SVG (pure: no I/O, no JavaScript).

- `coverage_svg`: for each direct child of the issuing unit (a district's party committee), how many
  units of its subtree have built their programme (`done`) out of how many (`of`): a grey track as long
  as `of` and a bar as long as `done`, on one scale for every row, with `done/of` written beside it.
- `sessions_svg`: the sessions reported month by month (bars) and their attendees (a line on its own
  scale, right).

Both are accessible pictures: `role="img"`, a `<title>` and a `<desc>` that says every figure in words
(what a screen reader reads), text labels rather than colour alone, and every name escaped. They use
presentation attributes only (no `style`), so the pages' Content-Security-Policy, which allows no
inline style, still draws them; `prefix` keeps the ids of two pictures on one page apart.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

from shared.documents import vn_number

from .report import month_label, share
from .schemas import DistrictCoverage, MonthSessions

FONT = "DejaVu Sans, Verdana, Arial, sans-serif"
INK, MUTED, GRID = "#222222", "#555555", "#d0d0d0"
TRACK, DONE, COMPLETE, LINE = "#e6e0d0", "#b3261e", "#2e7d32", "#1f4e9c"
NAME_CHARS = 34  # a longer name is cut with "…" (its whole is in the row's <title>)


def _text(value: str) -> str:
    return escape(value)


def _attr(value: str) -> str:
    return quoteattr(value)


def _short(name: str, limit: int = NAME_CHARS) -> str:
    return name if len(name) <= limit else name[: limit - 1].rstrip() + "…"


def _open(prefix: str, width: int, height: int, title: str, desc: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="{prefix}-title {prefix}-desc" font-family={_attr(FONT)} font-size="13" '
        f'class="chart" id="{prefix}">',
        f'<title id="{prefix}-title">{_text(title)}</title>',
        f'<desc id="{prefix}-desc">{_text(desc)}</desc>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
    ]


def axis_top(value: int, steps: int = 4) -> int:
    """The top of a count's axis of `steps` whole steps, each 1, 2, 2.5 or 5 × 10ⁿ (never a fraction):
    4 for 1, 400 for 300, 80.000 for 53.486."""
    power = 1
    while True:
        for step in (1, 2, 2.5, 5):
            tick = step * power
            if tick == int(tick) and steps * tick >= value:
                return int(steps * tick)
        power *= 10


# ------------------------------------------------------------------ coverage by district
COVERAGE_TITLE = "Xây dựng chương trình, kế hoạch thực hiện theo đơn vị trực thuộc"


def coverage_svg(rows: Sequence[DistrictCoverage], *, prefix: str = "bieu-do-chuong-trinh") -> str:
    """Horizontal bars: one row per direct child of the issuing unit, `done` against `of`."""
    label_w, bar_w, value_w, row_h, top = 250, 330, 130, 28, 44
    width = label_w + bar_w + value_w + 20
    height = top + max(len(rows), 1) * row_h + 34
    done_all, of_all = sum(r.done for r in rows), sum(r.of for r in rows)
    desc = (
        "; ".join(f"{r.name}: {vn_number(r.done)}/{vn_number(r.of)} đơn vị đã xây dựng" for r in rows)
        if rows
        else "Chưa có đơn vị trực thuộc."
    )
    if rows:
        desc = f"Tổng cộng {vn_number(done_all)}/{vn_number(of_all)} đơn vị đã xây dựng. " + desc + "."
    out = _open(prefix, width, height, COVERAGE_TITLE, desc)
    out.append(f'<text x="10" y="22" font-size="15" font-weight="bold" fill="{INK}">{_text(COVERAGE_TITLE)}</text>')
    if not rows:
        out.append(f'<text x="10" y="{top + 18}" fill="{MUTED}">Chưa có đơn vị trực thuộc.</text>')
    scale = max((r.of for r in rows), default=0)
    for i, r in enumerate(rows):
        y = top + i * row_h
        track = bar_w * r.of / scale if scale else 0.0
        bar = bar_w * r.done / scale if scale else 0.0
        colour = COMPLETE if r.of and r.done >= r.of else DONE
        figure = f"{vn_number(r.done)}/{vn_number(r.of)}"
        out.append(f'<g class="row" data-done="{r.done}" data-of="{r.of}">')
        out.append(f"<title>{_text(f'{r.name}: {figure} ({share(r.done, r.of)})')}</title>")
        out.append(
            f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end" fill="{INK}">{_text(_short(r.name))}</text>'
        )
        out.append(
            f'<rect class="of" x="{label_w}" y="{y + 4}" width="{track:.2f}" height="{row_h - 8}" fill="{TRACK}"/>'
        )
        out.append(
            f'<rect class="done" x="{label_w}" y="{y + 4}" width="{bar:.2f}" height="{row_h - 8}" fill="{colour}"/>'
        )
        out.append(
            f'<text class="value" x="{label_w + bar_w + 8}" y="{y + 17}" fill="{INK}">'
            f"{_text(figure)} ({_text(share(r.done, r.of))})</text>"
        )
        out.append("</g>")
    legend_y = top + max(len(rows), 1) * row_h + 18
    out.append(f'<rect x="{label_w}" y="{legend_y - 10}" width="12" height="12" fill="{DONE}"/>')
    out.append(f'<text x="{label_w + 18}" y="{legend_y}" fill="{MUTED}">Đã xây dựng</text>')
    out.append(f'<rect x="{label_w + 120}" y="{legend_y - 10}" width="12" height="12" fill="{TRACK}"/>')
    out.append(f'<text x="{label_w + 138}" y="{legend_y}" fill="{MUTED}">Tổng số đơn vị</text>')
    out.append("</svg>")
    return "\n".join(out)


# ------------------------------------------------------------------ sessions by month
SESSIONS_TITLE = "Buổi học tập, quán triệt và lượt người dự theo tháng"


def sessions_svg(months: Sequence[MonthSessions], *, prefix: str = "bieu-do-hoc-tap") -> str:
    """Bars of the sessions of each month (left scale) and a line of their attendees (right scale)."""
    left, right, top, plot_h = 56, 76, 48, 200
    n = len(months)
    # At least 560 wide (the title and legend fit), shared by the months (8 each at least).
    plot_w = max(560, 8 * n)
    slot = plot_w / max(n, 1)
    bar_w = min(slot * 0.7, 48.0)
    width, height = left + plot_w + right, top + plot_h + 70
    desc = (
        "; ".join(
            f"tháng {month_label(m.month)}: {vn_number(m.count)} buổi, {vn_number(m.attendees)} lượt người dự"
            for m in months
        )
        if months
        else "Chưa có buổi học tập, quán triệt nào được báo cáo."
    )
    if months:
        desc = (
            f"Tổng cộng {vn_number(sum(m.count for m in months))} buổi, "
            f"{vn_number(sum(m.attendees for m in months))} lượt người dự. " + desc[:1].upper() + desc[1:] + "."
        )
    out = _open(prefix, width, height, SESSIONS_TITLE, desc)
    out.append(f'<text x="10" y="22" font-size="15" font-weight="bold" fill="{INK}">{_text(SESSIONS_TITLE)}</text>')
    base = top + plot_h
    if not months:
        out.append(f'<text x="{left}" y="{top + 30}" fill="{MUTED}">Chưa có buổi nào được báo cáo.</text>')
        out.append("</svg>")
        return "\n".join(out)
    count_top = axis_top(max(m.count for m in months))
    people_top = axis_top(max(m.attendees for m in months))
    # The grid and both scales: four steps.
    for step in range(5):
        y = base - plot_h * step / 4
        out.append(
            f'<line x1="{left}" y1="{y:.2f}" x2="{left + plot_w}" y2="{y:.2f}" stroke="{GRID}" stroke-width="1"/>'
        )
        out.append(
            f'<text x="{left - 6}" y="{y + 4:.2f}" text-anchor="end" font-size="11" fill="{MUTED}">'
            f"{_text(vn_number(round(count_top * step / 4)))}</text>"
        )
        out.append(
            f'<text x="{left + plot_w + 6}" y="{y + 4:.2f}" font-size="11" fill="{LINE}">'
            f"{_text(vn_number(round(people_top * step / 4)))}</text>"
        )
    out.append(f'<text x="{left - 6}" y="{top - 10}" text-anchor="end" font-size="11" fill="{MUTED}">Số buổi</text>')
    out.append(f'<text x="{left + plot_w + 6}" y="{top - 10}" font-size="11" fill="{LINE}">Lượt người</text>')
    every = max(1, math.ceil(n / 12))
    points = []
    for i, m in enumerate(months):
        x = left + i * slot
        h = plot_h * m.count / count_top
        label = f"Tháng {month_label(m.month)}: {vn_number(m.count)} buổi, {vn_number(m.attendees)} lượt người dự"
        out.append(f'<g class="month" data-count="{m.count}" data-attendees="{m.attendees}">')
        out.append(f"<title>{_text(label)}</title>")
        out.append(
            f'<rect class="bar" x="{x + (slot - bar_w) / 2:.2f}" y="{base - h:.2f}" width="{bar_w:.2f}" '
            f'height="{h:.2f}" fill="{DONE}"/>'
        )
        if n <= 18:
            out.append(
                f'<text x="{x + slot / 2:.2f}" y="{base - h - 4:.2f}" text-anchor="middle" font-size="11" '
                f'fill="{INK}">{_text(vn_number(m.count))}</text>'
            )
        if i % every == 0:
            out.append(
                f'<text x="{x + slot / 2:.2f}" y="{base + 16}" text-anchor="middle" font-size="11" '
                f'fill="{INK}">{_text(month_label(m.month))}</text>'
            )
        out.append("</g>")
        points.append((x + slot / 2, base - plot_h * m.attendees / people_top))
    out.append(
        '<polyline class="attendees" fill="none" stroke="{}" stroke-width="2" points="{}"/>'.format(
            LINE, " ".join(f"{px:.2f},{py:.2f}" for px, py in points)
        )
    )
    for px, py in points:
        out.append(f'<circle cx="{px:.2f}" cy="{py:.2f}" r="3" fill="{LINE}"/>')
    out.append(f'<line x1="{left}" y1="{base}" x2="{left + plot_w}" y2="{base}" stroke="{INK}" stroke-width="1"/>')
    legend_y = base + 44
    out.append(f'<rect x="{left}" y="{legend_y - 10}" width="12" height="12" fill="{DONE}"/>')
    out.append(f'<text x="{left + 18}" y="{legend_y}" fill="{MUTED}">Số buổi (trục trái)</text>')
    out.append(
        f'<line x1="{left + 160}" y1="{legend_y - 4}" x2="{left + 184}" y2="{legend_y - 4}" '
        f'stroke="{LINE}" stroke-width="2"/>'
    )
    out.append(f'<text x="{left + 190}" y="{legend_y}" fill="{MUTED}">Lượt người dự (trục phải)</text>')
    out.append("</svg>")
    return "\n".join(out)
