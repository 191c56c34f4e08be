"""Rammeoverholdelse: which allocations fall outside the frame, why, and the committee's lists."""

import ui
from slcore import compliance

view = ui.data_page("Rammeoverholdelse")
status = compliance.status_by_type(view.store, view.period, view.filters)
ui.compliance.status_tiles(status)

ui.tabs(
    "ram_fane",
    {
        "Pr. indsatstype": lambda: ui.compliance.by_type_tab(view, status),
        "Årsager": lambda: ui.compliance.reasons_tab(view),
        "Type og alder": lambda: ui.compliance.type_age_tab(view),
        "Udvikling": lambda: ui.compliance.trend_tab(view),
        "Varighed og pris": lambda: ui.compliance.limits_tab(view, status),
        "Visitationsudvalget": lambda: ui.compliance.committee_tab(view),
    },
    keep=ui.compliance.KEPT_WIDGETS,
)
