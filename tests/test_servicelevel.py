"""Frames in the words of a service-level document."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from slcore import frames, servicelevel

D = dt.date
FRAME = {
    "intervention_type": "SI_KONTAKT",
    "valid_from": D(2025, 1, 1),
    "age_min": 6,
    "age_max": 17,
    "max_extent": 2.5,
    "extent_unit": "hours_per_week",
    "max_duration_months": 24,
    "max_monthly_cost": 12500.4,
    "description": None,
}


def test_a_frame_reads_as_a_line_of_the_document():
    assert servicelevel.frame_text(FRAME) == (
        "Målgruppe: 6–17 år · Højeste omfang: 2,5 timer/uge · Længste varighed: 24 mdr. · "
        "Højeste pris pr. måned: 12.500 kr. · gælder fra 01-01-2025"
    )
    open_ages = {**FRAME, "age_min": None, "max_extent": None, "max_monthly_cost": None}
    assert servicelevel.frame_text(open_ages) == (
        "Målgruppe: –17 år · Længste varighed: 24 mdr. · gælder fra 01-01-2025"
    )
    assert servicelevel.frame_text({}) == "ingen."


def test_readable_table_has_the_documents_columns():
    table = servicelevel.readable(pd.DataFrame([FRAME]), {"SI_KONTAKT": "Kontaktperson"})
    assert table.iloc[0].to_dict() == {
        "Indsats": "Kontaktperson",
        "Målgruppe": "6–17 år",
        "Højeste omfang": "2,5 timer/uge",
        "Længste varighed": "24 mdr.",
        "Højeste pris pr. måned (kr.)": 12500.4,
        "Gælder fra": "01-01-2025",
        "Beskrivelse": "",
    }


def test_first_of_next_month_and_version_values():
    assert servicelevel.first_of_next_month(D(2025, 1, 31)) == D(2025, 2, 1)
    assert servicelevel.first_of_next_month(D(2025, 12, 1)) == D(2026, 1, 1)
    assert servicelevel.version_value("max_monthly_cost", 12500.4) == "12.500 kr."
    assert servicelevel.version_value("max_extent", 2.5) == "2,5"
    assert servicelevel.version_value("age_min", 6.0) == "6"
    assert servicelevel.version_value("extent_unit", "days_per_month") == "dage/måned"
    assert servicelevel.version_value("valid_from", D(2025, 7, 1)) == "01-07-2025"
    assert servicelevel.version_value("description", None) == "–"


def test_current_frame_and_version_comparison_on_the_sample(sample_store):
    table = frames.frames_on(sample_store, D(2026, 3, 18))
    code = table["intervention_type"].iloc[0]
    frame = servicelevel.current_frame(sample_store, code, D(2026, 3, 18))
    assert frame["intervention_type"] == code
    assert all(v is None or v == v for v in frame.values())  # no NaN: None for no limit
    assert servicelevel.current_frame(sample_store, code, D(1990, 1, 1)) == {}
    versions = frames.frame_versions(sample_store, "SI_KONTAKT")
    a, b = (pd.Timestamp(d).date() for d in versions["valid_from"].iloc[:2])
    diff = servicelevel.version_comparison(sample_store, "SI_KONTAKT", a, b)
    assert list(diff.columns) == ["field", "version_a", "version_b", "changed"]
    assert set(diff["changed"]) <= {"Ja", ""} and "Ja" in set(diff["changed"])
    assert not {"None", "nan"} & (set(diff["version_a"]) | set(diff["version_b"]))


def test_without_frame_names_the_types_missing_in_code_order():
    table = pd.DataFrame({"intervention_type": ["B"]})
    names = {"C": "Cee", "A": "Ah", "B": "Bee"}
    assert servicelevel.without_frame(table, names) == ["Ah", "Cee"]
