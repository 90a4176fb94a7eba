"""Charts drawn on the server as inline SVG (no JavaScript library) for the page; the PDF draws the same
bars from the same figures (``audit.pdf``)."""
from markupsafe import Markup, escape

PALETTE = ("#1c5fb8", "#e8590c", "#2f9e44", "#a4161a", "#f2c230", "#6741d9", "#0b7285", "#868e96")


def _nice_max(value: int) -> int:
    if value <= 5:
        return 5
    step = 10 ** (len(str(value)) - 1)
    for factor in (1, 2, 2.5, 5, 10):
        top = int(step * factor)
        if top >= value:
            return top
    return value  # pragma: no cover


def stacked_bars(months: list[str], series: list[tuple[str, list[int]]], *, title: str, unit_label: str,
                 month_label=lambda m: m, width: int = 720, height: int = 280) -> Markup:
    """Units per month stacked by series (categories); each bar carries its total, each segment a <title>."""
    left, right, top, bottom, legend_h = 56, 12, 30, 62, 22 * ((len(series) + 2) // 3)
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(values[i] for _, values in series) for i in range(len(months))]
    ymax = _nice_max(max(totals, default=0))
    slot = plot_w / max(1, len(months))
    bar = slot * 0.62
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height + legend_h}" '
             f'width="{width}" height="{height + legend_h}" role="img" aria-label="{escape(title)}">',
             f"<title>{escape(title)}</title>",
             '<g font-family="Noto Sans CJK SC, WenQuanYi Micro Hei, sans-serif" font-size="11" fill="#1d2733">']
    for k in range(5):
        value = ymax * k // 4
        y = top + plot_h - plot_h * k / 4
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d8dee6" '
                     'stroke-width="1"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{value:,}</text>')
    parts.append(f'<text x="4" y="12" font-size="10" fill="#5d6b7a">{escape(unit_label)}</text>')  # above the top tick
    for i, month in enumerate(months):
        x = left + slot * i + (slot - bar) / 2
        y = top + plot_h
        for s, (name, values) in enumerate(series):
            v = values[i]
            if not v:
                continue
            h = plot_h * v / ymax
            y -= h
            parts.append(f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                         f'fill="{PALETTE[s % len(PALETTE)]}"><title>{escape(name)} {escape(month_label(month))}: '
                         f'{v:,}</title></rect>')
        if totals[i]:
            parts.append(f'<text x="{x + bar / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle" font-size="10">'
                         f'{totals[i]:,}</text>')
        lx, ly = left + slot * i + slot / 2, top + plot_h + 14  # slanted: twelve "2026年07月" do not fit level
        parts.append(f'<text x="{lx:.1f}" y="{ly}" text-anchor="end" transform="rotate(-35 {lx:.1f} {ly})">'
                     f'{escape(month_label(month))}</text>')
    parts.append(f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="#5d6b7a"/>')
    for s, (name, _values) in enumerate(series):
        lx = left + (s % 3) * (plot_w / 3)
        ly = height + 4 + 22 * (s // 3)
        parts.append(f'<rect x="{lx:.1f}" y="{ly}" width="12" height="12" fill="{PALETTE[s % len(PALETTE)]}"/>')
        parts.append(f'<text x="{lx + 17:.1f}" y="{ly + 10}">{escape(name)}</text>')
    if not series:
        parts.append(f'<text x="{left + plot_w / 2:.1f}" y="{top + plot_h / 2:.1f}" text-anchor="middle" '
                     f'fill="#5d6b7a">—</text>')
    parts.append("</g></svg>")
    return Markup("".join(parts))
