"""The product's Danish words: one word per code, and each column's format as data."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from slcore import charts, compliance, economy, labels
from slcore.labels import Column, Format


def test_one_word_per_concept_across_the_product():
    assert labels.STATUSES["no_frame"] == labels.STATUS_COUNTS["no_frame"] == "Uden ramme"
    assert compliance.STATUS_LABELS["no_frame"] == charts.STATUS_NAMES["no_frame"] == "Uden ramme"
    assert labels.COLUMNS["active_citizens"].label == "Aktive børn og unge"
    assert labels.COMPARED["active_citizens"].label == "Aktive børn og unge"
    assert economy.BANDS is labels.DEVIATION_BANDS
    assert compliance.REASON_LABELS is labels.REASONS


def test_a_label_has_one_format_wherever_it_is_registered():
    tables = (
        labels.COLUMNS,
        labels.COMMITTEE_COLUMNS,
        labels.WHATIF_COLUMNS,
        labels.SURVIVAL_COLUMNS,
        labels.DISTRIBUTION_COLUMNS,
        labels.FRAME_DOCUMENT_COLUMNS,
        labels.REJECTION_COLUMNS,
        labels.REASON_COUNT_COLUMNS,
    )
    seen: dict[str, Format] = {}
    for table in tables:
        for column in table.values():
            assert seen.setdefault(column.label, column.format) == column.format, column.label


def test_shown_renames_codes_and_gives_each_column_its_format():
    df = pd.DataFrame(
        {
            "intervention_type": ["A"],
            "realized": [1.5],
            "deviation_share": [0.1],
            "Uden for rammen (kr.)": [2.0],  # already Danish: its registered format
            "Noget andet": [3.25],  # unknown: by its type
            "Dag": [dt.date(2025, 1, 1)],
        }
    )
    shown, formats = labels.shown(df, {"realized": Column("Brugt (kr.)", Format.KR)})
    assert list(shown.columns) == [
        "Indsatstype",
        "Brugt (kr.)",
        "Andel afvigelse fra budget",
        "Uden for rammen (kr.)",
        "Noget andet",
        "Dag",
    ]
    assert formats == {
        "Indsatstype": Format.TEXT,
        "Brugt (kr.)": Format.KR,
        "Andel afvigelse fra budget": Format.SIGNED_SHARE,
        "Uden for rammen (kr.)": Format.KR,
        "Noget andet": Format.DECIMAL,
        "Dag": Format.DATE,
    }


def test_dynamic_columns_carry_their_format():
    columns = labels.comparison_columns("2026", "2025")
    assert columns["realized_spend_dkk_now"] == Column("Forbrug 2026 (kr.)", Format.KR)
    assert columns["active_citizens_change"] == Column("Aktive børn og unge ændring", Format.COUNT)
    years = labels.year_columns("2025", "2026")
    assert years["unit_cost_now"] == Column("Pris pr. barneår 2026 (kr.)", Format.KR)
    assert labels.version_columns("01-01-2025", "01-07-2025")["version_b"].label == (
        "Fra 01-07-2025"
    )


def test_words_for_codes():
    assert labels.ladder_step(3) == "Trin 3: Støtte i hjemmet"
    assert labels.ladder_step(None) == labels.ladder_step(float("nan")) == "Ungestøtte (uden trin)"
    assert labels.age_band("6-11") == "6-11 år" and labels.age_band("ukendt") == "Ukendt"
    assert labels.extent_unit("hours_per_week") == "timer/uge"
    assert labels.extent_unit("other") == "other" and labels.extent_unit(None) == ""
    table = pd.DataFrame({"status": ["no_frame", "odd"], "step": [2, None]})
    out = labels.translate(table, status=labels.STATUSES, step=labels.ladder_step)
    assert list(out["status"]) == ["Uden ramme", "odd"]
    assert list(out["step"]) == ["Trin 2: Tidlig forebyggende indsats", "Ungestøtte (uden trin)"]
    assert list(table["status"]) == ["no_frame", "odd"]  # a copy
