"""The slides of committee mode and the deck (reports.md), computed once, under the rule.

Each slide is plain data: a title, its headline figures as text, one chart as categories and
series (a hidden value is None), an optional table of text cells, and notes that say the
slide's figures in words. Committee mode in the browser and the deck (PPTX, PDF) draw the
same slides, so a projected chart and a chart in the committee's papers never differ.

Every figure comes through ``slcore.published`` or is guarded here by the small-number rule
(``slcore.publish``): a count from 1 to T − 1 reads ``<T``, money and shares of a group with
fewer than T children ``..``. Slides never go below intervention type; the ``ledelse``
audience may add the visitation committee's lists (pseudonyms only) as tables.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Literal

import pandas as pd

from slcore import (
    activity,
    calibration,
    compliance,
    economy,
    figures,
    fmt,
    labels,
    publish,
    published,
    settings,
)
from slcore.figures import Filters
from slcore.periods import Period
from slcore.store import Store, intervention_types

AUDIENCES = {"politisk": "Politisk niveau", "ledelse": "Ledelsen"}
# Slides show at most this many intervention types; the rest are summed as "Øvrige", so a
# projected chart has few, clearly different bars.
MAX_TYPES = 8
OTHERS = "Øvrige"
Unit = Literal["kr", "count", "share", "days"]
Kind = Literal["hbar", "bar", "line", "stacked"]


@dataclass(frozen=True)
class Chart:
    """A chart as data: categories along one axis, one value per category in each series."""

    kind: Kind
    categories: list[str]
    series: dict[str, list[float | None]]
    unit: Unit
    title: str


@dataclass(frozen=True)
class Slide:
    """One slide: its URL key, title, headline figures, chart, table and notes."""

    key: str
    title: str
    headline: list[tuple[str, str]] = field(default_factory=list)
    chart: Chart | None = None
    table: pd.DataFrame | None = None
    notes: str = ""
    text: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Deck:
    """The slides with what every slide shows: who, which period, as of when."""

    municipality: str
    period: Period
    audience: str
    threshold: int
    slides: list[Slide]

    @property
    def caption(self) -> str:
        """Return the period and as-of date in Danish, shown on every slide."""
        p = self.period
        return f"{fmt.date(p.start)} – {fmt.date(p.end)} · opgjort pr. {fmt.date(p.as_of)}"


def _text(value: object, unit: Unit) -> str:
    """Return a published cell in Danish: a mark as it is, a number in its unit."""
    if isinstance(value, str):
        return value
    if value is None or pd.isna(value):  # type: ignore[call-overload]
        return "–"
    number = float(value)  # type: ignore[arg-type]
    if unit == "kr":
        return fmt.mio_kr(number)
    if unit == "share":
        return fmt.pct(number, 1)
    return fmt.number(number)


def _value(value: object) -> float | None:
    """Return a published cell as a number for a chart; None when it is not shown exactly."""
    if isinstance(value, str) or value is None or pd.isna(value):  # type: ignore[call-overload]
        return None
    return float(value)  # type: ignore[arg-type]


def _names(store: Store) -> dict[str, str]:
    return {str(t["code"]): str(t["name_da"]) for t in intervention_types(store)}


def _top_types(store: Store, period: Period, filters: Filters) -> tuple[list[str], list[str]]:
    """Return the types shown one by one (largest projected spend first) and the rest."""
    inner = published._without_rule(store)
    by_type = figures.key_figures(inner, period, ("intervention_type",), filters)
    order = by_type.sort_values("projected_spend_dkk", ascending=False, kind="stable")
    codes = [str(c) for c in order["intervention_type"]]
    if len(codes) <= MAX_TYPES + 1:
        return codes, []
    return codes[:MAX_TYPES], codes[MAX_TYPES:]


def _types_table(
    store: Store, period: Period, filters: Filters, missing_budget_empty: bool = True
) -> publish.Published:
    """Return the key figures of the top types, "Øvrige" and the total, under the rule.

    "Øvrige" is computed as one group (its own distinct children), not summed from the small
    types, so the rule judges it as the group it is.
    """
    inner = published._without_rule(store)
    top, rest = _top_types(store, period, filters)
    by_type = figures.key_figures(
        inner, period, ("intervention_type",), filters, missing_budget_empty=missing_budget_empty
    )
    rows = by_type[by_type["intervention_type"].isin(top)]
    rows = rows.set_index("intervention_type").loc[top].reset_index()
    parts = [rows]
    if rest:
        kept = tuple(
            c for c in rest if not filters.intervention_types or c in filters.intervention_types
        )
        others = figures.key_figures(
            inner,
            period,
            (),
            replace(filters, intervention_types=kept),
            missing_budget_empty=missing_budget_empty,
        ).assign(intervention_type=OTHERS)
        parts.append(others[rows.columns])
    total = figures.key_figures(
        inner, period, (), filters, missing_budget_empty=missing_budget_empty
    ).assign(intervention_type=labels.TOTAL)
    parts.append(total[rows.columns])
    table = pd.concat(parts, ignore_index=True)
    return publish.key_figures(table, settings.threshold(store), total_row=table.index[-1])


def _type_label(code: str, names: dict[str, str]) -> str:
    return names.get(code, code)


def _budget_slide(pub: publish.Published) -> Slide:
    total = pub.table.iloc[-1]
    projected, budget, deviation = (
        total["projected_spend_dkk"],
        total["budget_dkk"],
        total["budget_deviation_dkk"],
    )
    share: float | None = None
    dev, bud = _value(deviation), _value(budget)
    if dev is not None and bud:
        share = dev / bud
    headline = [
        ("Forventet forbrug", _text(projected, "kr")),
        ("Budget", _text(budget, "kr")),
        (
            "Afvigelse",
            f"{_text(deviation, 'kr')} ({fmt.pct(share, 1, signed=True)})"
            if share is not None
            else _text(deviation, "kr"),
        ),
    ]
    over = share is not None and share > 0
    notes = (
        f"Forventet forbrug for perioden: {_text(projected, 'kr')} mod et budget på "
        f"{_text(budget, 'kr')}; "
        + (
            f"det er {fmt.pct(abs(share), 1)} {'over' if over else 'under'} budgettet."
            if share is not None
            else "der er intet budget at sammenligne med."
        )
    )
    return Slide("budget", "Budgetstatus", headline=headline, notes=notes)


def _cumulative_slide(store: Store, period: Period, filters: Filters) -> Slide:
    months = published.monthly(store, period, filters)
    budget = figures.monthly_spend(published._without_rule(store), period, filters)["budget"]
    cats = [fmt.month_label(m) for m in months.table["month"]]
    realized, projected, budgets = [], [], []
    run_real = run_proj = run_budget = 0.0
    hidden = False
    for i, row in months.table.iterrows():
        real, comm = _value(row["realized"]), _value(row["committed"])
        if real is None or comm is None:
            hidden = True
        run_real += real or 0.0
        run_proj += (real or 0.0) + (comm or 0.0)
        b = budget.iloc[int(str(i))] if int(str(i)) < len(budget) else None
        run_budget += 0.0 if b is None or pd.isna(b) else float(b)
        past = pd.Timestamp(row["month"]).date() <= period.as_of
        realized.append(None if hidden or not past else run_real)
        projected.append(None if hidden else run_proj)
        budgets.append(run_budget if budget.notna().any() else None)
    chart = Chart(
        "line",
        cats,
        {"Forbrug indtil nu": realized, "Forventet forbrug": projected, "Budget": budgets},
        "kr",
        "Akkumuleret forbrug mod budget",
    )
    last_real = next((v for v in reversed(realized) if v is not None), None)
    notes = (
        f"Forbrug til og med {fmt.date(period.last_past_day)}: {_text(last_real, 'kr')}; "
        f"forventet ved periodens slutning: {_text(projected[-1] if projected else None, 'kr')}; "
        f"budget for perioden: {_text(budgets[-1] if budgets else None, 'kr')}"
    )
    return Slide("forbrug", "Forbrug mod budget", chart=chart, notes=notes)


def _types_slide(pub: publish.Published, names: dict[str, str]) -> Slide:
    rows = pub.table.iloc[:-1]
    cats = [_type_label(str(c), names) for c in rows["intervention_type"]]
    chart = Chart(
        "hbar",
        cats,
        {
            "Forventet forbrug": [_value(v) for v in rows["projected_spend_dkk"]],
            "Budget": [_value(v) for v in rows["budget_dkk"]],
        },
        "kr",
        "Forventet forbrug og budget pr. indsatstype",
    )
    table = pd.DataFrame(
        {
            "Indsatstype": [*cats, labels.TOTAL],
            "Forventet forbrug": [_text(v, "kr") for v in pub.table["projected_spend_dkk"]],
            "Budget": [_text(v, "kr") for v in pub.table["budget_dkk"]],
            "Afvigelse": [_text(v, "kr") for v in pub.table["budget_deviation_dkk"]],
        }
    )
    codes = list(rows["intervention_type"])
    deviations = [
        (float(v), c)
        for v, c, code in zip(rows["budget_deviation_dkk"], cats, codes, strict=True)
        if _value(v) is not None and code != OTHERS
    ]
    drivers = sorted(deviations, key=lambda p: -abs(p[0]))[:3]
    notes = (
        "Størst afvigelse: " + "; ".join(f"{c} {fmt.mio_kr(v)}" for v, c in drivers)
        if drivers
        else "Ingen afvigelse pr. indsatstype kan vises."
    )
    return Slide("indsatstyper", "Forbrug pr. indsatstype", chart=chart, table=table, notes=notes)


def _activity_slide(store: Store, period: Period, filters: Filters) -> Slide:
    pair = activity.same_days_last_year(period)
    if pair is None:
        return Slide("aktivitet", "Aktivitet", text=["Ingen dage i perioden er gået endnu."])
    now, before = (published.key_figures(store, p, (), filters).table.iloc[-1] for p in pair)
    figures_ = [
        ("Børn og unge", "active_citizens"),
        ("Bevillinger", "active_registrations"),
        ("Nye bevillinger", "new_registrations"),
    ]
    chart = Chart(
        "bar",
        [label for label, _ in figures_],
        {
            "Samme dage sidste år": [_value(before[c]) for _, c in figures_],
            "I år": [_value(now[c]) for _, c in figures_],
        },
        "count",
        "Aktivitet mod samme dage sidste år",
    )
    headline = [(label, _text(now[c], "count")) for label, c in figures_[:2]]
    notes = "; ".join(
        f"{label}: {_text(now[c], 'count')} (samme dage sidste år {_text(before[c], 'count')})"
        for label, c in figures_
    )
    return Slide("aktivitet", "Aktivitet", headline=headline, chart=chart, notes=notes)


def _frame_slide(store: Store, pub: publish.Published, names: dict[str, str]) -> Slide:
    rows = pub.table.iloc[:-1]
    threshold = settings.threshold(store)

    def share(row: pd.Series) -> float | None:
        """Return a row's within-frame share; None when the rule hides what it is made of.

        A share is guarded as money is: by the number of children (metrics.md).
        """
        children = _value(row["active_citizens"])
        counts = [_value(row[c]) for c in ("active_registrations", "within_frame", "no_frame")]
        if children is None or children < threshold or any(v is None for v in counts):
            return None
        active, within, none = (float(v or 0) for v in counts)
        return within / (active - none) if active - none else None

    shares = [share(row) for _, row in rows.iterrows()]
    cats = [_type_label(str(c), names) for c in rows["intervention_type"]]
    total = pub.table.iloc[-1]
    total_share = share(total)
    chart = Chart("hbar", cats, {"Inden for rammen": shares}, "share", "Andel inden for rammen")
    headline = [
        ("Inden for rammen", fmt.pct(total_share, 0)),
        ("Ikke-godkendte afvigelser", _text(total["unapproved_deviations"], "count")),
    ]
    notes = (
        f"Andel inden for rammen: {fmt.pct(total_share, 1)}; ikke-godkendte afvigelser: "
        f"{_text(total['unapproved_deviations'], 'count')}."
    )
    return Slide("ramme", "Serviceniveauet i praksis", headline=headline, chart=chart, notes=notes)


def _steps_slide(store: Store, period: Period, filters: Filters) -> Slide:
    mix = activity.ladder_mix(published._without_rule(store), period, filters)
    if mix.empty:
        return Slide("trappe", "Indsatstrappen", text=["Ingen bevillinger i perioden."])
    mix = mix.assign(step=[labels.ladder_step(s) for s in mix["ladder_step"]])
    wide = mix.pivot_table(
        index="month", columns="step", values="children", aggfunc="sum", fill_value=0
    )
    steps = list(wide.columns)
    shown = publish.suppress(
        wide.reset_index(),
        threshold=settings.threshold(store),
        counts=steps,
        cross=steps,
    )
    table = shown.table
    chart = Chart(
        "stacked",
        [fmt.month_label(pd.Timestamp(m).date()) for m in table["month"]],
        {str(s): [_value(v) for v in table[s]] for s in steps},
        "count",
        "Børn og unge pr. trin på indsatstrappen",
    )
    last = table.iloc[-1]
    notes = "Seneste måned: " + "; ".join(f"{s}: {_text(last[s], 'count')}" for s in steps) + "."
    return Slide("trappe", "Indsatstrappen over tid", chart=chart, notes=notes)


def _change_slide(store: Store, period: Period, filters: Filters) -> Slide:
    dec = economy.change_decomposition(published._without_rule(store), period, filters)
    if dec is None:
        return Slide("aendring", "Hvorfor forbruget ændrede sig", text=["Intet at sammenligne."])
    children = published.key_figures(store, dec.current, (), filters).table.iloc[-1]
    small = isinstance(children["active_citizens"], str) or int(
        children["active_citizens"]
    ) < settings.threshold(store)
    parts = [("Aktivitet (volumen)", "volume"), ("Sammensætning (mix)", "mix"), ("Pris", "price")]
    values = [None if small else float(dec.totals[k]) for _, k in parts]
    chart = Chart(
        "bar",
        [label for label, _ in parts],
        {"Ændring": values},
        "kr",
        "Ændring i forbrug mod samme dage sidste år",
    )
    change = None if small else float(dec.totals["change"])
    notes = f"Ændring i alt: {_text(change, 'kr')}: " + "; ".join(
        f"{label} {_text(v, 'kr')}" for (label, _), v in zip(parts, values, strict=True)
    )
    return Slide(
        "aendring",
        "Hvorfor forbruget ændrede sig",
        headline=[("Ændring i alt", _text(change, "kr"))],
        chart=chart,
        notes=notes,
    )


def _durations_slide(
    store: Store, period: Period, filters: Filters, names: dict[str, str]
) -> Slide:
    inner = published._without_rule(store)
    summary = calibration.survival_summary(inner, period.as_of, filters)
    t = settings.threshold(store)
    # Durations are guarded by children (metrics.md): the durations cover every allocation
    # started by the as-of date, so each type's children are counted over the same history.
    history = Period(dt.date(1900, 1, 1), period.as_of, period.as_of)
    children = figures.key_figures(inner, history, ("intervention_type",), filters)
    enough = set(children.loc[children["active_citizens"] >= t, "intervention_type"])
    summary = summary[summary["intervention_type"].isin(enough)]
    summary = summary.sort_values("n", ascending=False).head(MAX_TYPES)
    cats = [_type_label(str(c), names) for c in summary["intervention_type"]]
    median = [None if pd.isna(v) else float(v) for v in summary["km_median_days"]]
    running = [None if pd.isna(v) else float(v) for v in summary["still_running_12m"]]
    table = pd.DataFrame(
        {
            "Indsatstype": cats,
            "Median varighed (dage)": [_text(v, "days") for v in median],
            "Løber stadig efter 12 mdr.": [_text(v, "share") for v in running],
        }
    )
    chart = Chart("hbar", cats, {"Median varighed (dage)": median}, "days", "Median varighed")
    notes = f"Typer med mindst {t} børn og unge: " + "; ".join(
        f"{c}: median {_text(m, 'days')} dage, {_text(r, 'share')} løber efter 12 mdr."
        for c, m, r in zip(cats, median, running, strict=True)
    )
    return Slide("varighed", "Varighed", chart=chart, table=table, notes=notes)


def _definitions_slide(store: Store, threshold: int) -> Slide:
    status = figures.data_status(published._without_rule(store))
    fresh = (
        f"Seneste indlæsning {fmt.date(status.last_import_at.date())} ({status.last_import_file})."
        if status.last_import_at is not None
        else "Ingen indlæsning endnu."
    )
    text = [
        "Aktive bevillinger: bevillinger, der løber mindst én dag i perioden til og med "
        "opgørelsesdagen. Børn og unge: forskellige borgere blandt dem.",
        "Forventet forbrug: forbrug indtil nu plus det disponerede for resten af perioden.",
        "Inden for rammen: andelen af de aktive bevillinger med en ramme, der overholder "
        "rammens alder, omfang, varighed og pris.",
        f"Små tal: et antal fra 1 til {threshold - 1} vises som <{threshold}; beløb, andele og "
        f"varigheder for grupper med under {threshold} børn og unge vises som »..«.",
        fresh + (" Demodata: en opdigtet kommune." if status.is_demo else ""),
    ]
    return Slide("definitioner", "Definitioner og data", text=text, notes=" ".join(text))


def _summary_slide(budget: Slide, types: Slide, frame: Slide) -> Slide:
    """One slide a chair reads in a minute: budget, the three types driving it, the frame."""
    text = [budget.notes, types.notes, frame.notes]
    return Slide(
        "resume",
        "Resumé",
        headline=[*budget.headline[:1], budget.headline[2], frame.headline[0]],
        text=text,
        notes=" ".join(text),
    )


def deck(
    store: Store, period: Period, filters: Filters = Filters(), audience: str = "politisk"
) -> Deck:
    """Return the slides of reports.md, in order, for a period and filters."""
    if audience not in AUDIENCES:
        raise ValueError(f"Ukendt målgruppe: {audience}. Brug {', '.join(AUDIENCES)}.")
    if filters.teams:
        store.access.require_detail()
    names = _names(store)
    threshold = settings.threshold(store)
    pub = _types_table(store, period, filters)
    budget = _budget_slide(pub)
    types = _types_slide(pub, names)
    frame = _frame_slide(store, pub, names)
    slides = [
        _summary_slide(budget, types, frame),
        budget,
        _cumulative_slide(store, period, filters),
        types,
        _activity_slide(store, period, filters),
        frame,
        _steps_slide(store, period, filters),
        _change_slide(store, period, filters),
        _durations_slide(store, period, filters, names),
        _definitions_slide(store, threshold),
    ]
    if audience == "ledelse":
        slides.append(_committee_slide(store, period, filters, names))
    return Deck(settings.municipality_name(store), period, audience, threshold, slides)


def _committee_slide(
    store: Store, period: Period, filters: Filters, names: dict[str, str]
) -> Slide:
    """The visitation committee's list of unapproved deviations (pseudonyms), for management."""
    dev = compliance.committee_deviations(store, period, filters)
    listed = compliance.deviations_list(dev, names).head(15)
    shown, formats = labels.shown(listed, labels.COMMITTEE_COLUMNS)
    table = pd.DataFrame(
        {c: [_cell(v, formats.get(str(c))) for v in shown[c]] for c in shown.columns}
    )
    return Slide(
        "udvalg",
        "Visitationsudvalget: ikke-godkendte afvigelser",
        table=table,
        notes=f"{fmt.number(len(dev))} ikke-godkendte afvigelser; de 15 største vises.",
    )


def _cell(value: object, kind: labels.Format | None) -> str:
    """Return a list's cell in Danish: dates dd-mm-åååå, kroner, "–" for nothing."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):  # type: ignore[call-overload]
        return "–"
    if isinstance(value, dt.date):
        return fmt.date(value)
    if kind is labels.Format.KR:
        return fmt.kr(float(value))  # type: ignore[arg-type]
    if kind is labels.Format.COUNT:
        return fmt.number(float(value))  # type: ignore[arg-type]
    return str(value)


def slide_keys(d: Deck) -> list[str]:
    """Return the slides' URL keys in order."""
    return [s.key for s in d.slides]


def today_caption(day: dt.date) -> str:
    """Return 'Udskrevet dd-mm-åååå' for a deck's footer."""
    return f"Udskrevet {fmt.date(day)}"
