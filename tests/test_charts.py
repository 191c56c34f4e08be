"""Charts: what they draw equals slcore's figures, and they stay legible."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from slcore import charts, figures
from slcore.periods import Period, year_earlier

D = dt.date
YEAR_2025 = Period(D(2025, 1, 1), D(2025, 12, 31), D(2025, 9, 18))


def _trace(fig, name):
    return next(t for t in fig.data if t.name == name)


def test_cumulative_chart_ends_realised_spend_at_the_as_of_date(sample_store):
    monthly = figures.monthly_spend(sample_store, YEAR_2025)
    total = figures.key_figures(sample_store, YEAR_2025).iloc[0]
    fig = charts.cumulative_spend_chart(monthly, YEAR_2025.as_of, "x")
    real = _trace(fig, "Forbrug")
    ahead = _trace(fig, "Forventet (forbrug + disponeret)")
    budget = _trace(fig, "Budget")
    # Realised spend runs from 0 on the first day to the key figures' total on the as-of date.
    assert real.x[0] == D(2025, 1, 1) and real.y[0] == 0
    assert real.x[-1] == D(2025, 9, 18)
    assert real.y[-1] * 1e6 == pytest.approx(total["realized_spend_dkk"])
    # The projection starts where realised spend stops and ends at the projected spend.
    assert (ahead.x[0], ahead.y[0]) == (real.x[-1], real.y[-1])
    assert ahead.x[1] == D(2025, 9, 30) and ahead.x[-1] == D(2025, 12, 31)
    assert ahead.y[-1] * 1e6 == pytest.approx(total["projected_spend_dkk"])
    assert budget.y[-1] * 1e6 == pytest.approx(total["budget_dkk"])
    # Danish month names on the axis, the year where it starts.
    assert fig.layout.xaxis.ticktext[:2] == ("jan<br>2025", "feb")


def test_cumulative_chart_before_and_after_the_period(sample_store):
    after = Period(D(2024, 1, 1), D(2024, 12, 31), D(2025, 9, 18))
    fig = charts.cumulative_spend_chart(
        figures.monthly_spend(sample_store, after), after.as_of, "x"
    )
    assert [t.name for t in fig.data] == ["Budget", "Forbrug"]  # all of it is past
    assert _trace(fig, "Forbrug").x[-1] == D(2024, 12, 31)
    before = Period(D(2027, 1, 1), D(2027, 12, 31), D(2025, 9, 18))
    fig = charts.cumulative_spend_chart(
        figures.monthly_spend(sample_store, before), before.as_of, "x"
    )
    assert "Forbrug" not in [t.name for t in fig.data]


def test_small_money_has_readable_ticks_and_counts_whole_ones():
    assert charts.value_axis(money=True)["tickformat"] == ",.2~f"
    assert charts.value_axis(money=False, largest=3)["dtick"] == 1
    assert charts.value_axis(money=False, largest=300)["dtick"] is None
    table = pd.DataFrame({"team": ["A", "B"], "x": [40_000.0, 12_000.0]})
    fig = charts.group_bar_chart(table, "team", "x", {}, "t", money=True)
    assert list(fig.data[0].text) == ["40.000 kr.", "12.000 kr."]
    assert fig.layout.yaxis.tickformat == ",.2~f"


def test_every_label_is_large_enough_for_a_wall():
    table = pd.DataFrame({"team": ["A"], "x": [1.0]})
    fig = charts.group_bar_chart(table, "team", "x", {}, "t")
    assert fig.layout.xaxis.tickfont.size >= 15 and fig.layout.yaxis.tickfont.size >= 15
    assert fig.layout.legend.font.size >= 15


def test_legend_clears_two_line_month_labels(sample_store):
    monthly = figures.monthly_spend(sample_store, YEAR_2025)
    fig = charts.cumulative_spend_chart(monthly, YEAR_2025.as_of, "x")
    plot_height = fig.layout.height - 80
    # Below the axis by more than two lines of 15 px labels.
    assert -fig.layout.legend.y * plot_height > 2 * 15 + 20


def test_stacked_chart_has_its_legend_beside_the_stack(sample_store):
    series = figures.monthly_series(sample_store, YEAR_2025, by="intervention_type")
    fig = charts.monthly_stacked_chart(series, "intervention_type", "active_registrations", {}, "t")
    assert fig.layout.legend.orientation == "v" and fig.layout.legend.x > 1
    assert fig.layout.legend.traceorder == "reversed"  # top of the legend, top of the stack
    assert fig.layout.height >= 120 + 24 * len(fig.data) - 1


def test_year_over_year_keeps_months_of_a_long_period_apart(sample_store):
    period = Period(D(2023, 7, 1), D(2026, 6, 30), D(2025, 12, 31))
    now = figures.monthly_series(sample_store, period)
    now = now[now["month_start"].dt.date <= period.as_of]
    before = figures.monthly_series(sample_store, year_earlier(period))
    fig = charts.year_over_year_chart(now, before, "active_citizens", ("før", "nu"), "t")
    earlier, current = fig.data
    assert [earlier.name, current.name] == ["før", "nu"]
    # Each month at its own place on a time axis; last year's a year on, by this year's.
    assert len(set(earlier.x)) == 36 and earlier.x[0] == D(2023, 7, 1)
    assert len(current.x) == len(now) == 30 and current.x[-1] == D(2025, 12, 1)
    assert earlier.hovertext[0] == "jul 2022" and current.hovertext[0] == "jul 2023"
    # Thirty-six months are named every third month, the year where it changes.
    assert fig.layout.xaxis.ticktext[:3] == ("jul<br>2023", "okt", "jan<br>2024")
    assert len(fig.layout.xaxis.tickvals) == 12


def test_monthly_bars_of_two_years_stay_apart(sample_store):
    period = Period(D(2024, 7, 1), D(2025, 9, 30), D(2025, 9, 30))
    series = figures.monthly_series(sample_store, period, by="category")
    fig = charts.monthly_stacked_chart(series, "category", "active_registrations", {}, "t")
    bars = fig.data[0]
    assert len(set(bars.x)) == 15  # July 2024 to September 2025, none merged
    assert fig.layout.xaxis.ticktext[:7] == (
        "jul<br>2024",
        "aug",
        "sep",
        "okt",
        "nov",
        "dec",
        "jan<br>2025",
    )


def test_waterfall_axis_holds_every_bar():
    totals = {"spend_before": 100e6, "volume": -60e6, "mix": 5e6, "price": 5e6, "spend_now": 50e6}
    fig = charts.decomposition_chart(totals, ("2024", "2025"), "t")
    low, high = fig.layout.yaxis.range
    assert low <= 40 and high >= 100  # the lowest running total is 40 mio. kr.


# --- No budget, or not for every month (issue 12, defect 3) --------------------------------


def test_cumulative_chart_without_a_budget_draws_no_budget_line(make_store):
    from tests.conftest import registration

    store = make_store([registration("r", cost_amount="100")])
    fig = charts.cumulative_spend_chart(
        figures.monthly_spend(store, YEAR_2025), YEAR_2025.as_of, "x"
    )
    assert "Budget" not in [t.name for t in fig.data]
    assert fig.layout.title.text.startswith("Akkumuleret forbrug<br>")
    assert [a.text for a in fig.layout.annotations] == ["Intet budget"]
    # A page names the reason when a filter rules the budget out.
    fig = charts.cumulative_spend_chart(
        figures.monthly_spend(store, YEAR_2025),
        YEAR_2025.as_of,
        "x",
        show_budget=False,
        no_budget="budgettet kan ikke opdeles på team",
    )
    assert "Budget" not in [t.name for t in fig.data]
    assert [a.text for a in fig.layout.annotations] == ["Budgettet kan ikke opdeles på team"]


def test_cumulative_budget_line_is_drawn_only_where_there_is_a_budget(make_store):
    from tests.conftest import registration

    store = make_store(
        [registration("r", cost_amount="100")],
        budgets=[{"year": 2025, "intervention_type": "SI_KONTAKT", "budget_dkk": 365_000}],
    )
    p = Period(D(2025, 7, 1), D(2026, 6, 30), D(2025, 9, 30))
    fig = charts.cumulative_spend_chart(figures.monthly_spend(store, p), p.as_of, "x")
    budget = _trace(fig, "Budget")
    drawn = [(x, y) for x, y in zip(budget.x, budget.y, strict=True) if y is not None]
    # From 0 on the first day to 184,000 kr. at the end of 2025; nothing for 2026, not a
    # flat line that would read as a budget of 0 kr.
    assert drawn[0] == (D(2025, 7, 1), 0)
    assert drawn[-1][0] == D(2025, 12, 31) and drawn[-1][1] * 1e6 == pytest.approx(184_000)
    assert max(x for x, _ in drawn) == D(2025, 12, 31)
    assert fig.layout.title.text.startswith("Akkumuleret forbrug mod budget")
    assert not fig.layout.annotations


# --- The month the as-of date cuts short (issue 12, defect 12) -----------------------------

DEC_1 = Period(D(2025, 1, 1), D(2025, 12, 31), D(2025, 12, 1))


def test_partial_months_are_the_months_not_counted_whole(sample_store):
    months = figures.monthly_series(sample_store, DEC_1)
    assert charts.partial_months(months, DEC_1.as_of) == {D(2025, 12, 1): 1}
    # A rolling year cut at both ends: 19-30 September 2024 and 1-18 September 2025.
    rolling = Period(D(2024, 9, 19), D(2025, 9, 18), D(2025, 9, 18))
    months = figures.monthly_series(sample_store, rolling)
    assert charts.partial_months(months, rolling.as_of) == {D(2024, 9, 1): 12, D(2025, 9, 1): 18}
    # Months after the as-of date are the future, not partial; a month-end as-of cuts none.
    months = figures.monthly_series(sample_store, YEAR_2025)
    assert charts.partial_months(months, D(2025, 9, 30)) == {}


def test_the_as_of_month_is_marked_as_partial_in_the_stacked_chart(sample_store):
    series = figures.monthly_series(sample_store, DEC_1, by="intervention_type")
    series = series[series["month_start"].dt.date <= DEC_1.as_of]
    fig = charts.monthly_stacked_chart(
        series, "intervention_type", "realized", {}, "t", money=True, as_of=DEC_1.as_of
    )
    bars = [t for t in fig.data if t.name != charts.PARTIAL_NOTE]
    assert len(bars) > 5
    for bar in bars:
        # December, one day of it, hatched and lighter; the whole months plain.
        assert list(bar.marker.pattern.shape) == [""] * 11 + ["/"]
        assert bar.marker.opacity[-1] < bar.marker.opacity[0] == 1
        assert bar.hovertext[-1] == "dec 2025 (1 dag)"
    assert fig.layout.xaxis.ticktext[-1] == "dec<br>1 dag"
    assert fig.layout.xaxis.ticktext[0] == "jan<br>2025"
    note = _trace(fig, charts.PARTIAL_NOTE)
    assert note.showlegend and note.name == "Skraveret: ikke en hel måned"
    # Without an as-of date, or when every month is whole, nothing is marked.
    plain = charts.monthly_stacked_chart(series, "intervention_type", "realized", {}, "t")
    assert charts.PARTIAL_NOTE not in [t.name for t in plain.data]
    assert "1 dag" not in "".join(plain.layout.xaxis.ticktext)


def test_the_as_of_month_is_marked_in_the_year_over_year_chart(sample_store):
    from slcore import activity

    now, before = activity.months_against_last_year(sample_store, DEC_1)
    fig = charts.year_over_year_chart(
        now, before, "active_citizens", ("før", "nu"), "t", as_of=DEC_1.as_of
    )
    earlier, current = fig.data
    # December is compared with the same one day a year earlier, and says so.
    assert fig.layout.xaxis.ticktext[-1] == "dec<br>1 dag"
    assert current.hovertext[-1] == "dec 2025 (1 dag)"
    assert earlier.hovertext[-1] == "dec 2024 (1 dag)"
    assert current.marker.symbol[-1] == "circle-open" and current.marker.symbol[0] == "circle"


def test_month_labels_name_a_partial_month_on_three_lines_at_most():
    months = [D(2024, 12, 1), D(2025, 1, 1)]
    assert charts.month_labels(months, {D(2025, 1, 1): 5}) == [
        "dec<br>2024",
        "jan<br>2025<br>5 dage",
    ]
    assert charts.partial_label(1) == "1 dag" and charts.partial_label(18) == "18 dage"


# --- Every figure is plotly's valid JSON (the charts skip plotly's validation) ------------


def _figures(store) -> dict[str, object]:
    """Return every chart of the pages drawn from the sample store, by function and case."""
    from slcore import activity, calibration, compliance, economy, slides

    p = DEC_1
    names = {"SI_KONTAKT": "Kontaktperson"}
    by_type = figures.key_figures(store, p, ("intervention_type",), missing_budget_empty=True)
    status = compliance.status_by_type(store, p)
    now, before = activity.months_against_last_year(store, p)
    decomposition = economy.change_decomposition(store, p)
    assert decomposition is not None
    summary = calibration.survival_summary(store, p.as_of)
    code = str(summary["intervention_type"].iloc[0])
    by_age = figures.key_figures(store, p, ("age_band",))
    by_team = figures.key_figures(store, p, ("team",))
    grid = figures.key_figures(store, p, ("intervention_type", "age_band"))
    series = figures.monthly_series(store, p, by="intervention_type")
    return {
        "cumulative_spend_chart": charts.cumulative_spend_chart(
            figures.monthly_spend(store, p), p.as_of, "x"
        ),
        "cumulative_spend_chart, no budget": charts.cumulative_spend_chart(
            figures.monthly_spend(store, p), p.as_of, "x", show_budget=False
        ),
        "spend_by_type_chart": charts.spend_by_type_chart(by_type, names, "x"),
        "status_by_type_chart": charts.status_by_type_chart(status, names, "x"),
        "reasons_chart": charts.reasons_chart(compliance.reason_counts(store, p), "x"),
        "type_age_heatmap": charts.type_age_heatmap(
            figures.without_zero(compliance.status_by_type_age(store, p), "with_frame"),
            names,
            "x",
        ),
        "trend_chart": charts.trend_chart(compliance.trend_by_start_month(store, p), "x"),
        "limit_chart": charts.limit_chart(
            compliance.limit_points(store, p, compliance.framed_types(status)[0], "price"),
            "price",
            "x",
            "x",
        ),
        "survival_chart": charts.survival_chart(
            calibration.of_type(calibration.survival(store, p.as_of), code), "x", "x", 6.0
        ),
        "monthly_stacked_chart": charts.monthly_stacked_chart(
            series, "intervention_type", "realized", {}, "t", money=True, as_of=p.as_of
        ),
        "monthly_stacked_chart, counts": charts.monthly_stacked_chart(
            series, "intervention_type", "active_registrations", {}, "t"
        ),
        "year_over_year_chart": charts.year_over_year_chart(
            now, before, "active_citizens", ("før", "nu"), "t", as_of=p.as_of
        ),
        "group_bar_chart": charts.group_bar_chart(
            by_age, "age_band", "active_citizens", {}, "t", keep_order=True
        ),
        "group_bar_chart, horizontal money": charts.group_bar_chart(
            by_team, "team", "realized_spend_dkk", {}, "t", money=True, horizontal=True
        ),
        "activity_heatmap": charts.activity_heatmap(
            figures.without_zero(grid, "active_registrations"), names, "active_registrations", "t"
        ),
        "ladder_mix_chart": charts.ladder_mix_chart(
            activity.ladder_mix(store, p), "spend_share", "t"
        ),
        "duration_chart": charts.duration_chart(activity.durations(store, p), names, "t"),
        "deviation_chart": charts.deviation_chart(
            economy.budget_deviation(store, p, total=True).iloc[:-1], names, "t"
        ),
        "decomposition_chart": charts.decomposition_chart(
            decomposition.totals, ("2024", "2025"), "t"
        ),
        **{
            f"slide_chart, {s.key}": charts.slide_chart(s.chart)
            for s in slides.deck(store, p).slides
            if s.chart is not None
        },
    }


def test_every_figure_is_what_plotly_would_have_validated(sample_store):
    """A chart's spec is built without plotly's checks: validating it must change nothing.

    So a misspelt property, a value plotly would coerce (a tuple, a bare title string, a
    ``title_font``) or an invalid one fails here rather than in the browser.
    """
    import inspect
    import json

    import plotly.graph_objects as go
    import plotly.io as pio

    drawn = _figures(sample_store)
    public = {
        name
        for name, f in inspect.getmembers(charts, inspect.isfunction)
        if f.__module__ == charts.__name__
        and not name.startswith("_")
        and f.__annotations__.get("return") == "go.Figure"
    }
    assert public == {case.split(",")[0] for case in drawn}  # every chart is checked
    for case, fig in drawn.items():
        assert fig.data or case.startswith("cumulative"), case
        sent = json.loads(pio.to_json(fig, validate=False))
        checked = json.loads(pio.to_json(go.Figure(fig.to_dict()), validate=False))
        assert sent == checked, case
