"""Plotly charts with one look: Danish numbers and months, fixed colours, legible on a wall."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from slcore import fmt, sql
from slcore.labels import DEVIATION_BANDS, DURATION_STATES, STATUS_SERIES, ladder_step
from slcore.periods import days_in_month

if TYPE_CHECKING:
    from slcore.slides import Chart

FONT_SIZE = 16
BUDGET_COLOR = "#444444"
REALIZED_COLOR = "#1f5fa8"
COMMITTED_COLOR = "#9cc3ea"
OVER_COLOR = "#c0392b"
UNDER_COLOR = "#2e8b57"

# A fixed colour per intervention type, so a type looks the same on every page.
_PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
    "#393b79",
    "#637939",
    "#8c6d31",
    "#843c39",
    "#7b4173",
    "#3182bd",
    "#e6550d",
    "#31a354",
    "#756bb1",
    "#636363",
    "#6baed6",
    "#fd8d3c",
    "#74c476",
    "#9e9ac8",
)
TYPE_ORDER = (
    "TFI_KONS",
    "TFI_GRUPPE",
    "TFI_ANDEN",
    "OEK",
    "SI_DAG",
    "SI_HJEM",
    "SI_KONTAKT",
    "SI_PRAKTIK",
    "SI_BEHANDL",
    "SI_FAMDOGN",
    "SI_AFLAST",
    "SI_ANDEN",
    "ANB_NETV",
    "ANB_PLEJE",
    "ANB_FORST",
    "ANB_SPEC",
    "ANB_EGETVAER",
    "ANB_DOGNINST",
    "ANB_OPHOLD",
    "ANB_KOST",
    "UNG_KONTAKT",
    "UNG_DOGN",
    "UNG_UDSLUS",
    "UNG_ANDEN",
)
TYPE_COLORS: dict[str, str] = dict(zip(TYPE_ORDER, _PALETTE, strict=True))


# Money axes are in millions: two decimals where needed, so a small type's axis reads
# 0,05 0,1 0,15 rather than 0 0 0.
MONEY_TICKS = ",.2~f"


def value_axis(money: bool, largest: float = 0.0) -> dict[str, object]:
    """Return the axis settings for money in millions or for counts (whole numbers only).

    A None unsets a setting when ``merged`` into a layout, as in ``update_layout``.
    """
    if money:
        return {"tickformat": MONEY_TICKS, "title": {"text": "mio. kr."}}
    return {"tickformat": ",.0f", "title": {"text": None}, "dtick": 1 if largest < 5 else None}


def type_color(code: str) -> str:
    """Return the fixed colour of an intervention type."""
    return TYPE_COLORS.get(code, "#999999")


# A month not counted whole (the as-of month, or one the period cuts) is drawn hatched and
# lighter, named with its days, and explained by this legend entry.
PARTIAL_NOTE = "Skraveret: ikke en hel måned"
PARTIAL_OPACITY = 0.45
PARTIAL_PATTERN = {"fgcolor": "#333", "solidity": 0.3}


def partial_label(days: int) -> str:
    """Return the days of a partial month in Danish: ``1 dag``, ``18 dage``."""
    return f"{days} dag" if days == 1 else f"{days} dage"


def partial_months(months: pd.DataFrame, as_of: dt.date | None) -> dict[dt.date, int]:
    """Return the months counted on fewer than all their days, with the days counted.

    ``months`` has ``month``, ``month_start`` and ``month_end`` as ``figures.monthly_series``
    (months cut to the period). A month counts from its start to its end or the as-of date,
    whichever is first; a month wholly after the as-of date is the future, not partial.
    """
    if as_of is None or months.empty:
        return {}
    partial: dict[dt.date, int] = {}
    rows = months.drop_duplicates("month")
    for m, start, end in zip(rows["month"], rows["month_start"], rows["month_end"], strict=True):
        month = pd.Timestamp(m).date()
        last = min(pd.Timestamp(end).date(), as_of)
        days = (last - pd.Timestamp(start).date()).days + 1
        if 0 < days < days_in_month(month.year, month.month):
            partial[month] = days
    return partial


def month_labels(months: list[dt.date], partial: dict[dt.date, int] | None = None) -> list[str]:
    """Return short Danish month labels; the year where it changes, a partial month's days."""
    partial = partial or {}
    labels = []
    for i, m in enumerate(months):
        lines = [fmt.MONTHS_DA_SHORT[m.month - 1]]
        if i == 0 or m.year != months[i - 1].year:
            lines.append(str(m.year))
        if m in partial:
            lines.append(partial_label(partial[m]))
        labels.append("<br>".join(lines))
    return labels


def month_name(month: dt.date, partial: dict[dt.date, int]) -> str:
    """Return a month's name for hovers and tables: ``dec 2025``, or ``dec 2025 (1 dag)``."""
    label = fmt.month_label(month)
    return f"{label} ({partial_label(partial[month])})" if month in partial else label


def month_axis(
    months: list[dt.date], partial: dict[dt.date, int] | None = None
) -> dict[str, object]:
    """Return a time axis for monthly bars or points, named in Danish at the months' starts.

    A time axis keeps two Augusts apart however long the period; up to 18 months every
    month is named, a longer span every third (jan, apr, jul, okt) so names never collide.
    The year stands under the first name and where it changes; a partial month named on the
    axis has its days under its name.
    """
    shown = months if len(months) <= 18 else [m for m in months if m.month % 3 == 1]
    return {
        "type": "date",
        "tickmode": "array",
        "tickvals": shown,
        "ticktext": month_labels(shown, partial),
        "tickangle": 0,
    }


# --- Figures as plain specs ----------------------------------------------------------------

# Every chart is built as plotly's JSON spec, plain dicts and lists, and wrapped without
# validation: plotly's validation of each property costs about ten times the building
# itself. The tests check that each chart's spec is what validation would have made of it.
Spec = dict[str, Any]


def merged(*parts: Mapping[str, Any]) -> Spec:
    """Return the layout parts merged in depth, later ones winning; a None unsets a setting."""
    out: Spec = {}
    for part in parts:
        for key, value in part.items():
            if value is None:
                out.pop(key, None)
            elif isinstance(value, Mapping):
                current = out.get(key)
                out[key] = merged(current, value) if isinstance(current, Mapping) else merged(value)
            else:
                out[key] = value
    return out


def _figure(data: list[Spec], layout: Spec) -> go.Figure:
    """Return the figure of a spec's traces and layout, taken as valid."""
    return go.Figure({"data": data, "layout": layout}, _validate=False)


def _axes(x: Mapping[str, Any] | None = None, y: Mapping[str, Any] | None = None) -> Spec:
    """Return a layout of an x and a y axis's settings."""
    return {"xaxis": dict(x or {}), "yaxis": dict(y or {})}


def base_layout(data: list[Spec], layout: Spec, title: str, height: int = 460) -> Spec:
    """Return a chart's layout with the common look: Danish separators, large fonts, a title.

    Streamlit's chart theme draws tick and legend labels at about 11 px unless a figure sets
    them, too small on a meeting room's wall, so every label size is set here.
    """
    gap = _legend_gap(data, layout)
    labels = {"tickfont": {"size": FONT_SIZE - 1}, "title": {"font": {"size": FONT_SIZE}}}
    common = {
        "title": {"text": title, "x": 0, "xanchor": "left", "font": {"size": FONT_SIZE + 4}},
        "separators": ",.",
        "font": {"size": FONT_SIZE},
        "height": height,
        "margin": {"l": 10, "r": 10, "t": 70, "b": 10},
        "legend": {
            "orientation": "h",
            "yanchor": "top",
            # Plotly measures y in heights of the plot area, which the legend's own row
            # shrinks: so the gap is a share of what remains of the height.
            "y": -gap / max(height - 80 - gap - 30, 100),
            "x": 0,
            "font": {"size": FONT_SIZE - 1},
        },
        "plot_bgcolor": "white",
        "hoverlabel": {"font": {"size": FONT_SIZE}},
    }
    return merged(
        layout,
        common,
        _axes(
            {"showgrid": False, "linecolor": "#888", **labels},
            {"gridcolor": "#e5e5e5", "zerolinecolor": "#bbb", **labels},
        ),
    )


def side_legend(layout: Spec) -> Spec:
    """Return the layout with the legend of a stacked chart at its right, as the stack reads.

    A stack of many groups needs a legend of many rows; below the chart it would squeeze
    the plot and cover the axis labels.
    """
    legend = {
        "orientation": "v",
        "traceorder": "reversed",
        "yanchor": "top",
        "y": 1,
        "x": 1.01,
        "xanchor": "left",
        "font": {"size": FONT_SIZE - 2},
    }
    return merged(layout, {"legend": legend})


def _legend_gap(data: list[Spec], layout: Spec) -> int:
    """Return how far below the plot the legend starts, in pixels: below the x axis's labels.

    Month labels carry the year on a second line where it changes, and an axis title takes
    a line of its own; a legend placed any higher would cover them.
    """
    xaxis = layout.get("xaxis", {})
    labels = [*(xaxis.get("ticktext") or ())]
    for trace in data:
        if trace.get("orientation") != "h" and trace.get("x") is not None:
            labels.extend(trace["x"])
    lines = max([1, *(x.count("<br>") + 1 for x in labels if isinstance(x, str))])
    titled = bool(xaxis.get("title", {}).get("text"))
    return 16 + 22 * lines + (26 if titled else 0)


def _vline(x: float, line: Spec) -> Spec:
    """Return a vertical line across the plot at ``x``, as ``add_vline`` draws it."""
    return {
        "type": "line",
        "x0": x,
        "x1": x,
        "xref": "x",
        "y0": 0,
        "y1": 1,
        "yref": "y domain",
        "line": line,
    }


def period_caption(start: dt.date, end: dt.date, as_of: dt.date) -> str:
    """Return ``01-01-2026 – 31-12-2026, opgjort pr. 22-11-2026``."""
    return f"{fmt.date(start)} – {fmt.date(end)}, opgjort pr. {fmt.date(as_of)}"


def budget_line(
    start: dt.date, ends: list[dt.date], budget: pd.Series
) -> tuple[list[dt.date | None], list[float | None]]:
    """Return the cumulative budget's points, broken (None) over months without a budget.

    Each month with a budget is a segment from the end of the month before (the period's
    start for the first) to its own end; a month without one leaves a gap rather than a flat
    stretch that would read as a budget of 0 kr.
    """
    cumulative = list(budget.fillna(0.0).cumsum())
    xs: list[dt.date | None] = []
    ys: list[float | None] = []
    before, drawn = 0.0, False
    for i, (end, has) in enumerate(zip(ends, budget.notna(), strict=True)):
        if has:
            if not drawn:
                xs.append(start if i == 0 else ends[i - 1])
                ys.append(before)
            xs.append(end)
            ys.append(cumulative[i])
        elif drawn:
            xs.append(None)
            ys.append(None)
        drawn, before = bool(has), cumulative[i]
    return xs, ys


def _money_line(x: list[dt.date], y: list[float], name: str, style: Spec) -> Spec:
    """Return a line of cumulative spend: millions on the axis, whole kroner on hover."""
    return {
        "type": "scatter",
        "x": x,
        "y": [v / 1e6 for v in y],
        "customdata": [[fmt.date(d), v] for d, v in zip(x, y, strict=True)],
        "name": name,
        "hovertemplate": f"%{{customdata[0]}}: %{{customdata[1]:,.0f}} kr.<extra>{name}</extra>",
        **style,
    }


def _budget_trace(start: dt.date, ends: list[dt.date], budget: pd.Series) -> Spec:
    """Return the cumulative budget's line, broken over months without a budget."""
    xs, ys = budget_line(start, ends, budget.reset_index(drop=True))
    return {
        "type": "scatter",
        "x": xs,
        "y": [None if v is None else v / 1e6 for v in ys],
        "customdata": [
            [None, None] if d is None else [fmt.date(d), v] for d, v in zip(xs, ys, strict=True)
        ],
        "name": "Budget",
        "hovertemplate": "%{customdata[0]}: %{customdata[1]:,.0f} kr.<extra>Budget</extra>",
        "mode": "lines",
        "line": {"color": BUDGET_COLOR, "width": 3, "dash": "dot"},
        "connectgaps": False,
    }


def _spend_lines(
    monthly: pd.DataFrame, start: dt.date, ends: list[dt.date], as_of: dt.date
) -> list[Spec]:
    """Return the projection's line and the realised spend's, which ends at the as-of date."""
    realized = list(monthly["realized"].cumsum())
    projected = list((monthly["realized"] + monthly["committed"]).cumsum())
    past = [i for i, e in enumerate(ends) if e <= as_of]  # months wholly realised
    # The realised line: the start of the period, each past month's end, and the as-of date.
    real_x, real_y = [start], [0.0]
    for i in past:
        real_x.append(ends[i])
        real_y.append(realized[i])
    running = len(past) < len(ends) and start <= as_of
    if running:
        real_x.append(as_of)
        real_y.append(realized[len(past)])
    lines = []
    if len(past) < len(ends):
        # The projection starts where realised spend stops, so the two lines join.
        future = range(len(past), len(ends))
        lines.append(
            _money_line(
                [real_x[-1], *(ends[i] for i in future)],
                [real_y[-1], *(projected[i] for i in future)],
                "Forventet (forbrug + disponeret)",
                {
                    "mode": "lines+markers",
                    "line": {"color": REALIZED_COLOR, "width": 3, "dash": "dash"},
                    "marker": {"size": 7},
                },
            )
        )
    if len(real_x) > 1:
        style = {
            "mode": "lines+markers",
            "line": {"color": REALIZED_COLOR, "width": 4},
            "marker": {"size": 8},
        }
        lines.append(_money_line(real_x, real_y, "Forbrug", style))
    return lines


def _corner_note(text: str) -> Spec:
    """Return a note in the plot's upper left corner."""
    return {
        "text": text,
        "xref": "paper",
        "yref": "paper",
        "x": 0.01,
        "y": 0.99,
        "xanchor": "left",
        "yanchor": "top",
        "showarrow": False,
        "font": {"size": FONT_SIZE, "color": BUDGET_COLOR},
    }


def cumulative_spend_chart(
    monthly: pd.DataFrame,
    as_of: dt.date,
    caption: str,
    show_budget: bool = True,
    no_budget: str = "intet budget",
) -> go.Figure:
    """Cumulative realised spend, the projection to the period's end, and the budget line.

    ``monthly`` is ``figures.monthly_spend`` without grouping. The x axis is a time axis:
    each point is the total by the end of a month, and realised spend ends at the as-of date
    itself, so a half-run month is neither drawn as a whole one nor against a whole month's
    budget; the projection (realised + committed) goes on from there. The budget line runs
    through the months that have a budget; without any (or with ``show_budget`` off) there is
    none, and a note in the plot's empty upper left corner says why (``no_budget``): a title
    would be cut off at half the page's width.
    """
    ends = [pd.Timestamp(d).date() for d in monthly["month_end"]]
    with_budget = show_budget and bool(len(monthly)) and monthly["budget"].notna().any()
    name = "Akkumuleret forbrug mod budget" if with_budget else "Akkumuleret forbrug"
    title = f"{name}<br><sup>{caption}</sup>"
    if not ends:
        return _figure([], base_layout([], _axes(), title))
    start = pd.Timestamp(monthly["month_start"].iloc[0]).date()
    data = [_budget_trace(start, ends, monthly["budget"])] if with_budget else []
    data += _spend_lines(monthly, start, ends, as_of)
    # Danish month names at each month's end (plotly would write them in English).
    months = [pd.Timestamp(m).date() for m in monthly["month"]]
    axis = month_axis(months)
    named = dict(zip(months, ends, strict=True))
    ticks: list[dt.date] = axis["tickvals"]  # type: ignore[assignment]  # month_axis sets dates
    layout = _axes(
        {**axis, "tickvals": [named[m] for m in ticks]},
        {**value_axis(money=True), "rangemode": "tozero"},
    )
    if not with_budget:
        layout["annotations"] = [_corner_note(no_budget[:1].upper() + no_budget[1:])]
    return _figure(data, base_layout(data, layout, title))


def spend_by_type_chart(
    table: pd.DataFrame, names: dict[str, str], caption: str, show_budget: bool = True
) -> go.Figure:
    """Horizontal bars: realised and committed spend per type, with the budget as a marker.

    ``table`` is the key figures by intervention_type.
    """
    df = table.sort_values("projected_spend_dkk")
    labels = [names.get(c, c) for c in df["intervention_type"]]
    colors = [type_color(c) for c in df["intervention_type"]]
    # Committed spend is hatched, so the legend tells the two apart whatever the type colours.
    data = [
        {
            "type": "bar",
            "y": labels,
            "x": (df[column] / 1e6).to_numpy(),
            "customdata": df[column].to_numpy(),
            "name": name,
            "orientation": "h",
            "marker": {
                "color": colors,
                "opacity": 0.55 if pattern else 1.0,
                "pattern": {"shape": pattern, "fgcolor": "#333", "solidity": 0.3},
            },
            "hovertemplate": f"%{{y}}: %{{customdata:,.0f}} kr.<extra>{name}</extra>",
        }
        for column, name, pattern in (
            ("realized_spend_dkk", "Forbrug", ""),
            ("committed_spend_dkk", "Disponeret", "/"),
        )
    ]
    with_budget = show_budget and df["budget_dkk"].notna().any()
    if with_budget:
        data.append(
            {
                "type": "scatter",
                "y": labels,
                "x": (df["budget_dkk"] / 1e6).to_numpy(),
                "customdata": df["budget_dkk"].to_numpy(),
                "name": "Budget",
                "mode": "markers",
                "marker": {
                    "symbol": "line-ns",
                    "size": 26,
                    "line": {"width": 4, "color": BUDGET_COLOR},
                },
                "hovertemplate": "%{y}: %{customdata:,.0f} kr.<extra>Budget</extra>",
            }
        )
    layout = {"barmode": "stack", **_axes({"tickformat": MONEY_TICKS})}
    what = "Forventet forbrug og budget" if with_budget else "Forventet forbrug"
    title = f"{what} pr. indsatstype (mio. kr.)<br><sup>{caption}</sup>"
    return _figure(data, base_layout(data, layout, title, height=max(420, 60 + 34 * len(df))))


# --- Compliance ----------------------------------------------------------------------------

STATUS_COLORS = {
    "within_frame": "#2e8b57",
    "approved_exceptions": "#e0a526",
    "unapproved_deviations": "#c0392b",
    "no_frame": "#a0a0a0",
}
STATUS_NAMES = STATUS_SERIES


def status_by_type_chart(table: pd.DataFrame, names: dict[str, str], caption: str) -> go.Figure:
    """Stacked horizontal bars: active registrations per type by frame status."""
    df = table.sort_values("active_registrations")
    labels = [names.get(c, c) for c in df["intervention_type"]]
    types = df["intervention_type"].to_numpy()
    data = [
        {
            "type": "bar",
            "y": labels,
            "x": df[col].to_numpy(),
            "name": name,
            "orientation": "h",
            "marker": {"color": STATUS_COLORS[col]},
            "customdata": types,
            "hovertemplate": f"%{{y}}: %{{x:,.0f}}<extra>{name}</extra>",
        }
        for col, name in STATUS_NAMES.items()
    ]
    layout = {"barmode": "stack", **_axes({"tickformat": ",.0f"})}
    title = f"Aktive bevillinger efter ramme pr. indsatstype<br><sup>{caption}</sup>"
    return _figure(data, base_layout(data, layout, title, height=max(420, 80 + 34 * len(df))))


def reasons_chart(table: pd.DataFrame, caption: str) -> go.Figure:
    """Bars per reason: approved and unapproved deviations (a registration under each reason)."""
    df = table.groupby("reason", as_index=False)[
        ["approved_exceptions", "unapproved_deviations"]
    ].sum()
    df = df.sort_values("unapproved_deviations")
    data = [
        {
            "type": "bar",
            "y": df["reason"].to_numpy(),
            "x": df[col].to_numpy(),
            "name": STATUS_NAMES[col],
            "orientation": "h",
            "marker": {"color": STATUS_COLORS[col]},
            "hovertemplate": f"%{{y}}: %{{x:,.0f}}<extra>{STATUS_NAMES[col]}</extra>",
        }
        for col in ("approved_exceptions", "unapproved_deviations")
    ]
    layout = {"barmode": "stack", **_axes()}
    title = f"Afvigelser efter årsag<br><sup>{caption}</sup>"
    return _figure(data, base_layout(data, layout, title, height=380))


def type_age_heatmap(table: pd.DataFrame, names: dict[str, str], caption: str) -> go.Figure:
    """Heatmap: share outside the frame per type and age band (with frame only)."""
    from slcore.figures import AGE_BANDS

    bands = [b for b in AGE_BANDS if b in set(table["age_band"])]
    types = sorted(set(table["intervention_type"]), key=lambda c: names.get(c, c))
    grid = table.pivot(index="intervention_type", columns="age_band", values="outside_share")
    counts = table.pivot(index="intervention_type", columns="age_band", values="with_frame")
    grid = grid.reindex(index=types, columns=bands)
    counts = counts.reindex(index=types, columns=bands)
    text = [[("" if pd.isna(v) else f"{v * 100:.0f} %") for v in row] for row in grid.values]
    data = [
        _type_age_heatmap(
            grid,
            [names.get(str(t), str(t)) for t in types],
            text,
            colorscale=[[0, "#eaf5ee"], [0.5, "#f3c77a"], [1, "#c0392b"]],
            zmin=0,
            zmax=1,
            customdata=counts.values,
            hovertemplate="%{y}, %{x}: %{text} af %{customdata} uden for rammen<extra></extra>",
            colorbar={"title": {"text": "Uden for"}, "tickformat": ".0%"},
        )
    ]
    title = f"Andel uden for rammen pr. indsatstype og alder<br><sup>{caption}</sup>"
    height = max(420, 100 + 30 * len(types))
    return _figure(data, base_layout(data, _axes(), title, height=height))


def _type_age_heatmap(
    grid: pd.DataFrame, rows: list[str], text: list[list[str]], **style: object
) -> Spec:
    """Return a heatmap's trace of a type × age-band grid, each cell labelled with its text."""
    return {
        "type": "heatmap",
        "z": grid.values,
        "x": list(grid.columns),
        "y": rows,
        "text": text,
        "texttemplate": "%{text}",
        **style,
    }


def trend_chart(table: pd.DataFrame, caption: str) -> go.Figure:
    """Stacked bars per start month by status, for registrations started in the period."""
    months = [pd.Timestamp(m).date() for m in table["month"]]
    hovertext = [fmt.month_label(m) for m in months]
    data = [
        {
            "type": "bar",
            "x": months,
            "y": table[col].to_numpy(),
            "name": name,
            "marker": {"color": STATUS_COLORS[col]},
            "hovertext": hovertext,
            "hovertemplate": f"%{{hovertext}}: %{{y:,.0f}}<extra>{name}</extra>",
        }
        for col, name in STATUS_NAMES.items()
    ]
    layout = {"barmode": "stack", **_axes(month_axis(months))}
    title = f"Nye bevillinger pr. startmåned efter ramme<br><sup>{caption}</sup>"
    return _figure(data, base_layout(data, layout, title))


def limit_chart(points: pd.DataFrame, measure: str, type_name: str, caption: str) -> go.Figure:
    """Each allocation's duration or price as a dot, its frame's limit drawn as a line."""
    unit = "måneder" if measure == "duration" else "kr. pr. måned"
    what = "Varighed" if measure == "duration" else "Pris"
    x = list(range(1, len(points) + 1))
    colors = points["status"].map(
        {
            "within_frame": STATUS_COLORS["within_frame"],
            "approved_exception": STATUS_COLORS["approved_exceptions"],
            "unapproved_deviation": STATUS_COLORS["unapproved_deviations"],
            "no_frame": STATUS_COLORS["no_frame"],
        }
    )
    data: list[Spec] = [
        {
            "type": "scatter",
            "x": x,
            "y": points["value"].to_numpy(),
            "mode": "markers",
            "name": f"{what} pr. bevilling",
            "marker": {"color": list(colors), "size": 9},
            "customdata": points["registration_id"].to_numpy(),
            "hovertemplate": f"%{{customdata}}: %{{y:,.1f}} {unit}<extra></extra>",
        }
    ]
    if points["limit_value"].notna().any():
        data.append(
            {
                "type": "scatter",
                "x": x,
                "y": points["limit_value"].to_numpy(),
                "mode": "lines",
                "name": "Rammens grænse",
                "line": {"color": BUDGET_COLOR, "width": 3, "shape": "hv"},
                "hovertemplate": f"Grænse: %{{y:,.1f}} {unit}<extra></extra>",
            }
        )
    layout = _axes(
        {"title": {"text": "Bevillinger, sorteret efter størrelse"}, "showticklabels": False},
        {"title": {"text": unit}, "tickformat": ",.0f", "rangemode": "tozero"},
    )
    title = f"{what} pr. bevilling mod rammen: {type_name}<br><sup>{caption}</sup>"
    return _figure(data, base_layout(data, layout, title))


def survival_chart(
    curve: pd.DataFrame, type_name: str, caption: str, limit_months: float | None = None
) -> go.Figure:
    """Kaplan–Meier curve: the share still running after each duration, with the frame's limit.

    ``curve`` is ``calibration.survival`` for one type.
    """
    months = curve["day"] / sql.DAYS_PER_MONTH
    data = [
        {
            "type": "scatter",
            "x": months.to_numpy(),
            "y": curve["survival"].to_numpy(),
            "mode": "lines",
            "line": {"shape": "hv", "width": 4, "color": REALIZED_COLOR},
            "name": "Andel der stadig løber",
            "customdata": curve["day"].to_numpy(),
            "hovertemplate": "%{x:,.1f} mdr. (%{customdata} dage): %{y:.0%}<extra></extra>",
        }
    ]
    shapes = [_vline(m, {"color": "#cccccc", "dash": "dot"}) for m in (6, 12, 24)]
    layout: Spec = _axes(
        {"title": {"text": "Måneder siden start"}, "tickformat": ",.0f"},
        {"title": {"text": "Andel der stadig løber"}, "tickformat": ".0%", "range": [0, 1.02]},
    )
    if limit_months:
        shapes.append(_vline(limit_months, {"color": OVER_COLOR, "width": 3}))
        # Where add_vline's annotation_position="top right" puts the note.
        layout["annotations"] = [
            {
                "text": "Rammens længste varighed",
                "showarrow": False,
                "x": limit_months,
                "xanchor": "left",
                "xref": "x",
                "y": 1,
                "yanchor": "top",
                "yref": "y domain",
            }
        ]
    layout["shapes"] = shapes
    title = f"Varighed (Kaplan–Meier): {type_name}<br><sup>{caption}</sup>"
    return _figure(data, base_layout(data, layout, title))


# --- Activity and economy ------------------------------------------------------------------

# Charts a user can click carry the clicked group in customdata[0] as "dimension:value", so a
# page can tell from the selection alone what to filter on (ui.drill_from_selection).
CATEGORY_ORDER = ("tidlig_forebyggende", "stottende", "anbringelse", "ungestotte")
CATEGORY_COLORS = {
    "tidlig_forebyggende": "#2ca02c",
    "stottende": "#1f77b4",
    "anbringelse": "#d62728",
    "ungestotte": "#9467bd",
}
# Low steps light and green, placements dark: a good development is the green growing.
LADDER_COLORS = {
    2: "#74c476",
    3: "#31a354",
    4: "#fdae6b",
    5: "#e6550d",
    6: "#a63603",
    0: "#9e9ac8",
}
AGE_COLOR = "#3182bd"
TEAM_COLOR = "#6a51a3"
LAST_YEAR_COLOR = "#9a9a9a"


def group_color(dimension: str, value: object) -> str:
    """Return the fixed colour of a group: a type, a category or a ladder step."""
    if dimension == "intervention_type":
        return type_color(str(value))
    if dimension == "category":
        return CATEGORY_COLORS.get(str(value), "#999999")
    if dimension == "ladder_step":
        step = 0 if fmt.is_missing(value) else int(value)  # type: ignore[call-overload]
        return LADDER_COLORS.get(step, "#999999")
    return REALIZED_COLOR


def group_order(dimension: str, values: list[object]) -> list[object]:
    """Return the groups in their fixed order (types and categories as the reference list)."""
    order = {"intervention_type": TYPE_ORDER, "category": CATEGORY_ORDER}.get(dimension)
    if order is None:
        return sorted(values, key=str)
    rank = {v: i for i, v in enumerate(order)}
    return sorted(values, key=lambda v: (rank.get(str(v), len(rank)), str(v)))


def _partial_note_trace() -> Spec:
    """Return the legend's entry that says what the hatching means (it draws nothing)."""
    return {
        "type": "bar",
        "x": [None],
        "y": [None],
        "name": PARTIAL_NOTE,
        "marker": {"color": "#bbbbbb", "pattern": {"shape": "/", **PARTIAL_PATTERN}},
        "hoverinfo": "skip",
        "showlegend": True,
    }


def _month_bar(
    months: list[dt.date], y: np.ndarray, name: str, marker: Spec, hovertext: list[str]
) -> Spec:
    """Return one group's bars per month, named with their months on hover."""
    return {
        "type": "bar",
        "x": months,
        "y": y,
        "name": name,
        "marker": marker,
        "hovertext": hovertext,
    }


def _per_month(
    keys: pd.Series, values: pd.Series, months: list[dt.date], month_of: list[dt.date]
) -> dict[Any, np.ndarray]:
    """Return each key's values per month, 0 in a month it lacks (``month_of`` is each row's).

    As a reindex on the months and ``fillna(0)`` would: a key with a value in every month
    keeps the values' type, one without is in floats. A key has a row a month at most.
    """
    at = {m: i for i, m in enumerate(months)}
    where = np.array([at[m] for m in month_of], dtype=np.intp)
    codes, uniques = pd.factorize(keys)
    v = values.to_numpy()
    out: dict[Any, np.ndarray] = {}
    for code, key in enumerate(uniques):
        rows = codes == code
        whole = int(rows.sum()) == len(months)
        y = np.zeros(len(months), dtype=v.dtype if whole else np.float64)
        y[where[rows]] = v[rows]
        if y.dtype.kind == "f":
            y[np.isnan(y)] = 0.0
        out[key] = y
    return out


def monthly_stacked_chart(
    series: pd.DataFrame,
    dimension: str,
    value: str,
    names: dict[object, str],
    title: str,
    money: bool = False,
    as_of: dt.date | None = None,
) -> go.Figure:
    """Stacked bars per month, one segment per group; a click on a segment selects its group.

    ``series`` is ``figures.monthly_series`` grouped by ``dimension``; ``value`` a column.
    Money is drawn in millions (legible on a wall) and hovered in whole kroner. With
    ``as_of``, a month counted on fewer than all its days (the as-of month, or one the period
    cuts) is hatched and lighter and named with its days, so one day of December does not
    pass for a month of low spend; the legend says what the hatching means.
    """
    all_months = sorted({pd.Timestamp(m).date() for m in series["month"]})
    partial = partial_months(series, as_of)
    data = series.dropna(subset=[dimension])
    month_of = [pd.Timestamp(m).date() for m in data["month"]]
    per_group = _per_month(data[dimension], data[value], all_months, month_of)
    # First, so it is the legend's last line (the legend reads top to bottom reversed).
    traces = [_partial_note_trace()] if partial else []
    hover = "%{customdata[1]:,.0f} kr." if money else "%{y:,.0f}"
    hovertext = [month_name(m, partial) for m in all_months]
    cut = [m in partial for m in all_months]
    for group in group_order(dimension, list(per_group)):
        y = per_group[group]
        name = names.get(group, str(group))
        marker: Spec = {"color": group_color(dimension, group)}
        if partial:
            marker["opacity"] = [PARTIAL_OPACITY if c else 1.0 for c in cut]
            marker["pattern"] = {"shape": ["/" if c else "" for c in cut], **PARTIAL_PATTERN}
        bar = _month_bar(all_months, y / 1e6 if money else y, name, marker, hovertext)
        bar["customdata"] = [[f"{dimension}:{group}", v] for v in y.tolist()]
        bar["hovertemplate"] = f"%{{hovertext}}: {hover}<extra>{name}</extra>"
        traces.append(bar)
    stacked = data.groupby(pd.Series(month_of, index=data.index))[value].sum()
    layout = {
        "barmode": "stack",
        "clickmode": "event+select",
        **_axes(
            month_axis(all_months, partial),
            value_axis(money, float(stacked.max()) if len(stacked) else 0.0),
        ),
    }
    # Tall enough for a legend row per group beside the stack.
    height = max(520, 120 + 24 * len(traces))
    return _figure(traces, side_legend(base_layout(traces, layout, title, height=height)))


def year_over_year_chart(
    now: pd.DataFrame,
    before: pd.DataFrame,
    value: str,
    labels: tuple[str, str],
    title: str,
    as_of: dt.date | None = None,
) -> go.Figure:
    """Lines per month: this period against the same months a year earlier.

    ``now`` and ``before`` are ``figures.monthly_series`` without grouping, the second for
    the period a year earlier; months are matched by position. ``labels`` name the two
    periods (``before``, ``now``) in the legend. With ``as_of``, a month of ``now`` counted
    on fewer than all its days (``activity.months_against_last_year`` compares it with the
    same days a year earlier) is named with its days and drawn as an open point.
    """
    # Each month is drawn at this period's month; the earlier period's a year on. This
    # period may stop at the as-of date, so its line ends early.
    partial_now = partial_months(now, as_of)
    positions = [pd.Timestamp(m).date() for m in now["month"]]
    # The same days a year earlier: the earlier month at the same position.
    partial_at = {i: partial_now[m] for i, m in enumerate(positions) if m in partial_now}
    data = []
    axis_months: list[dt.date] = []
    for frame, shift, name, line in (
        (before, 1, labels[0], {"color": LAST_YEAR_COLOR, "width": 3, "dash": "dash"}),
        (now, 0, labels[1], {"color": REALIZED_COLOR, "width": 4}),
    ):
        months = [pd.Timestamp(m).date() for m in frame["month"]]
        partial = {m: partial_at[i] for i, m in enumerate(months) if i in partial_at}
        x = [dt.date(m.year + shift, m.month, 1) for m in months]
        axis_months = sorted({*axis_months, *x})
        data.append(
            {
                "type": "scatter",
                "x": x,
                "y": frame[value].to_numpy(),
                "name": name,
                "mode": "lines+markers",
                "line": line,
                "marker": {
                    "size": 8,
                    "symbol": ["circle-open" if m in partial else "circle" for m in months],
                },
                "hovertext": [month_name(m, partial) for m in months],
                "hovertemplate": f"%{{hovertext}}: %{{y:,.0f}}<extra>{name}</extra>",
            }
        )
    layout = _axes(
        month_axis(axis_months, partial_now), {"tickformat": ",.0f", "rangemode": "tozero"}
    )
    return _figure(data, base_layout(data, layout, title, height=420))


def _group_colors(dimension: str, groups: list[object]) -> list[str]:
    """Return the bars' colours: a type's, category's or step's own; one for ages, teams."""
    if dimension == "age_band":
        return [AGE_COLOR] * len(groups)
    if dimension in ("team", "provider"):
        return [TEAM_COLOR] * len(groups)
    return [group_color(dimension, g) for g in groups]


def group_bar_chart(
    table: pd.DataFrame,
    dimension: str,
    value: str,
    names: dict[object, str],
    title: str,
    money: bool = False,
    horizontal: bool = False,
    keep_order: bool = False,
) -> go.Figure:
    """Bars of one figure per group (age band, team, provider, step); a click selects a group."""
    df = table if keep_order or not horizontal else table.sort_values(value)
    groups = list(df[dimension])
    labels = [names.get(g, str(g)) for g in groups]
    y = df[value].astype("float64")
    shown = (y / 1e6 if money else y).to_numpy()
    hover = "%{customdata[1]:,.0f} kr." if money else "%{customdata[1]:,.0f}"
    values = y.tolist()
    bar = {
        "type": "bar",
        "x": shown if horizontal else labels,
        "y": labels if horizontal else shown,
        "orientation": "h" if horizontal else "v",
        "marker": {"color": _group_colors(dimension, groups)},
        "customdata": [[f"{dimension}:{g}", v] for g, v in zip(groups, values, strict=True)],
        "hovertemplate": ("%{y}" if horizontal else "%{x}") + f": {hover}<extra></extra>",
        "text": [fmt.short_kr(v) if money else fmt.number(v) for v in values],
        "textposition": "auto",
    }
    axis = value_axis(money, float(y.max()) if len(y) else 0.0)
    layout = {
        "clickmode": "event+select",
        "showlegend": False,
        **(_axes(axis) if horizontal else _axes({"type": "category", "tickangle": 0}, axis)),
    }
    height = max(380, 90 + 36 * len(groups)) if horizontal else 420
    return _figure([bar], base_layout([bar], layout, title, height=height))


def activity_heatmap(
    table: pd.DataFrame, names: dict[str, str], value: str, title: str
) -> go.Figure:
    """Heatmap of a count per type and age band (``key_figures`` by type and age band)."""
    from slcore.figures import AGE_BANDS

    bands = [b for b in AGE_BANDS if b in set(table["age_band"])]
    types = group_order("intervention_type", list(set(table["intervention_type"])))
    grid = table.pivot(index="intervention_type", columns="age_band", values=value)
    grid = grid.reindex(index=types, columns=bands).fillna(0)
    text = [[fmt.number(v) if v else "" for v in row] for row in grid.values]
    data = [
        _type_age_heatmap(
            grid,
            [names.get(str(t), str(t)) for t in types],
            text,
            colorscale=[[0, "#f7fbff"], [0.5, "#6baed6"], [1, "#08306b"]],
            hovertemplate="%{y}, %{x} år: %{z:,.0f}<extra></extra>",
            colorbar={"tickformat": ",.0f"},
        )
    ]
    layout = _axes(
        {"type": "category", "title": {"text": "Alder ved start"}}, {"autorange": "reversed"}
    )
    height = max(420, 110 + 30 * len(types))
    return _figure(data, base_layout(data, layout, title, height=height))


def ladder_mix_chart(mix: pd.DataFrame, share: str, title: str) -> go.Figure:
    """100 % stacked bars per month: the share on each step of the indsatstrappe.

    ``mix`` is ``activity.ladder_mix``; ``share`` is child_share or spend_share.
    """
    month_of = [pd.Timestamp(m).date() for m in mix["month"]]
    all_months = sorted(set(month_of))
    count = "children" if share == "child_share" else "realized"
    unit = " kr." if count == "realized" else " børn"
    hovertext = [fmt.month_label(m) for m in all_months]
    step_of = mix["ladder_step"].fillna(0).astype(int)
    shares = _per_month(step_of, mix[share], all_months, month_of)
    counts = _per_month(step_of, mix[count], all_months, month_of)
    data = []
    for step in sorted(shares, key=lambda s: (s == 0, s)):
        name = ladder_step(None if step == 0 else step)
        data.append(
            {
                "type": "bar",
                "x": all_months,
                "y": shares[step],
                "name": name,
                "marker": {"color": LADDER_COLORS.get(step, "#999999")},
                "customdata": counts[step],
                "hovertext": hovertext,
                "hovertemplate": f"%{{hovertext}}: %{{y:.1%}} (%{{customdata:,.0f}}{unit})"
                f"<extra>{name}</extra>",
            }
        )
    layout = {
        "barmode": "stack",
        **_axes(month_axis(all_months), {"tickformat": ".0%", "range": [0, 1]}),
    }
    return _figure(data, side_legend(base_layout(data, layout, title, height=500)))


def duration_chart(table: pd.DataFrame, names: dict[str, str], title: str) -> go.Figure:
    """Boxes of duration in months per type, ended and ongoing side by side.

    ``table`` is ``activity.durations``; the whiskers are the 10th and 90th percentiles.
    """
    to_months = sql.DAYS_PER_MONTH
    types = group_order("intervention_type", list(set(table["intervention_type"])))
    colors = {"ended": REALIZED_COLOR, "ongoing": COMMITTED_COLOR}
    data = []
    for state, label in DURATION_STATES.items():
        rows = table[table["state"] == state].set_index("intervention_type").reindex(types)
        rows = rows.dropna(subset=["median"])
        box = {
            part: (rows[column] / to_months).to_numpy()
            for part, column in (
                ("q1", "p25"),
                ("median", "median"),
                ("q3", "p75"),
                ("lowerfence", "p10"),
                ("upperfence", "p90"),
            )
        }
        data.append(
            {
                "type": "box",
                "y": [names.get(t, t) for t in rows.index],
                **box,
                "name": label,
                "orientation": "h",
                "marker": {"color": colors[state]},
                "customdata": rows["registrations"].to_numpy(),
                "hovertemplate": "%{y}<extra>" + label + "</extra>",
            }
        )
    layout = {
        "boxmode": "group",
        **_axes(
            {
                "title": {"text": "Måneder (boks: midterste halvdel, streger: 10-90 %)"},
                "tickformat": ",.0f",
                "rangemode": "tozero",
            },
            {"autorange": "reversed"},
        ),
    }
    height = max(460, 120 + 44 * len(types))
    return _figure(data, base_layout(data, layout, title, height=height))


DEVIATION_COLORS = {
    "over": "#f4c7c3",
    "within": "#fff2cc",
    "under": "#d9ead3",
    "no_budget": "#eeeeee",
}


def deviation_chart(table: pd.DataFrame, names: dict[str, str], title: str) -> go.Figure:
    """Bars of each type's deviation from budget in per cent, coloured by its band.

    ``table`` is ``economy.budget_deviation`` (types with a budget only are drawn); the grey
    strip is the ±5 % counted as on budget. A click on a bar selects the type.
    """
    from slcore.economy import TOLERANCE

    df = table.dropna(subset=["intervention_type", "deviation_share"])
    df = df.sort_values("deviation_share")
    edge = {"over": OVER_COLOR, "within": "#e0a526", "under": UNDER_COLOR}
    bar = {
        "type": "bar",
        "y": [names.get(c, c) for c in df["intervention_type"]],
        "x": df["deviation_share"].to_numpy(),
        "orientation": "h",
        "marker": {"color": [edge.get(b, "#999999") for b in df["band"]]},
        "customdata": [
            [f"intervention_type:{c}", d, DEVIATION_BANDS[b]]
            for c, d, b in zip(df["intervention_type"], df["deviation"], df["band"], strict=True)
        ],
        "text": [fmt.pct(v, 1, signed=True) for v in df["deviation_share"]],
        "textposition": "outside",
        "hovertemplate": "%{y}: %{x:+.1%} (%{customdata[1]:+,.0f} kr.)"
        "<extra>%{customdata[2]}</extra>",
        "cliponaxis": False,
    }
    band = {
        "type": "rect",
        "x0": -TOLERANCE,
        "x1": TOLERANCE,
        "xref": "x",
        "y0": 0,
        "y1": 1,
        "yref": "y domain",
        "fillcolor": "#e3e3e3",
        "opacity": 0.6,
        "line": {"width": 0},
        "layer": "below",
    }
    # Room for the labels outside the longest bars.
    reach = max([TOLERANCE, *df["deviation_share"].abs()]) * 1.3
    axis = {
        "tickformat": "+.0%",
        "title": {"text": "Forventet forbrug mod budget"},
        "range": [-reach, reach],
    }
    layout = {"shapes": [band], "clickmode": "event+select", "showlegend": False, **_axes(axis)}
    return _figure([bar], base_layout([bar], layout, title, height=max(420, 90 + 34 * len(df))))


def decomposition_chart(totals: dict[str, float], years: tuple[str, str], title: str) -> go.Figure:
    """Waterfall from last year's spend to this year's: volume, mix and price."""
    labels = [
        f"Forbrug {years[0]}",
        "Volumen (flere/færre barnedage)",
        "Sammensætning (mix)",
        "Pris pr. barnedag",
        f"Forbrug {years[1]}",
    ]
    values = [
        totals["spend_before"],
        totals["volume"],
        totals["mix"],
        totals["price"],
        totals["spend_now"],
    ]
    waterfall = {
        "type": "waterfall",
        "x": labels,
        "y": [v / 1e6 for v in values],
        "measure": ["absolute", "relative", "relative", "relative", "total"],
        "customdata": values,
        "text": [fmt.short_kr(v) for v in values],
        "textposition": "outside",
        "increasing": {"marker": {"color": OVER_COLOR}},
        "decreasing": {"marker": {"color": UNDER_COLOR}},
        "totals": {"marker": {"color": REALIZED_COLOR}},
        "connector": {"line": {"color": "#888"}},
        "hovertemplate": "%{x}: %{customdata:,.0f} kr.<extra></extra>",
    }
    # The axis starts near the lowest level the bars reach, or the changes would be slivers
    # on a wall; the bars are labelled with their amounts, so nothing is hidden by it.
    levels = [totals["spend_before"]]
    for part in ("volume", "mix", "price"):
        levels.append(levels[-1] + totals[part])
    levels.append(totals["spend_now"])
    low, high = min(levels) / 1e6, max(levels) / 1e6
    layout = {
        "showlegend": False,
        **_axes(
            {"type": "category", "tickangle": 0},
            {**value_axis(money=True), "range": [max(0.0, low * 0.85), high * 1.06]},
        ),
    }
    return _figure([waterfall], base_layout([waterfall], layout, title, height=480))


# --- Slides (committee mode) -----------------------------------------------------------------

# Distinct hues that stay apart projected and for colour-blind readers (Okabe–Ito).
SLIDE_PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
SLIDE_FONT = 22  # px: chart labels at least 20 px on a 1920 × 1080 wall (reports.md)


def slide_chart(chart: Chart, height: int = 620, primary: str | None = None) -> go.Figure:
    """Draw a slide's chart (``slides.Chart``) for committee mode: large labels, few colours.

    A hidden value (None) is drawn as no bar or point at all.
    """
    money = chart.unit == "kr"
    scale = 1e6 if money else (0.01 if chart.unit == "share" else 1)
    suffix = {"kr": " mio. kr.", "share": " %", "days": " dage"}.get(chart.unit, "")
    colors = (primary, *SLIDE_PALETTE[1:]) if primary else SLIDE_PALETTE
    data: list[Spec] = []
    for i, (name, values) in enumerate(chart.series.items()):
        ys = [None if v is None else v / scale for v in values]
        color = colors[i % len(colors)]
        text = [
            "" if v is None else fmt.number(v, 1 if money or chart.unit == "share" else 0)
            for v in ys
        ]
        if chart.kind == "line":
            data.append(
                {
                    "type": "scatter",
                    "mode": "lines+markers",
                    "name": name,
                    "x": chart.categories,
                    "y": ys,
                    "line": {"color": color, "width": 5},
                    "marker": {"size": 10},
                    "hovertemplate": f"%{{x}}: %{{y:,.1f}}{suffix}<extra>{name}</extra>",
                }
            )
            continue
        horizontal = chart.kind == "hbar"
        data.append(
            {
                "type": "bar",
                "name": name,
                "orientation": "h" if horizontal else "v",
                "x": ys if horizontal else chart.categories,
                "y": chart.categories if horizontal else ys,
                "marker": {"color": color},
                "text": text,
                "textposition": "auto",
                "textfont": {"size": SLIDE_FONT},
                "hovertemplate": f"%{{y}}: %{{x:,.1f}}{suffix}<extra>{name}</extra>"
                if horizontal
                else f"%{{x}}: %{{y:,.1f}}{suffix}<extra>{name}</extra>",
            }
        )
    value_axis = {
        "title": {"text": suffix.strip(), "font": {"size": SLIDE_FONT}},
        "tickfont": {"size": SLIDE_FONT},
        "gridcolor": "#ddd",
        "zeroline": True,
    }
    category_axis = {"tickfont": {"size": SLIDE_FONT}, "automargin": True}
    layout: Spec = {
        "barmode": "stack" if chart.kind == "stacked" else "group",
        "separators": ",.",
        "font": {"size": SLIDE_FONT},
        "height": height,
        "margin": {"l": 10, "r": 30, "t": 20, "b": 10},
        "legend": {"orientation": "h", "y": -0.12, "x": 0, "font": {"size": SLIDE_FONT}},
        "plot_bgcolor": "white",
        "xaxis": value_axis if chart.kind == "hbar" else category_axis,
        "yaxis": category_axis | {"autorange": "reversed"} if chart.kind == "hbar" else value_axis,
        "showlegend": len(chart.series) > 1,
    }
    return _figure(data, layout)
