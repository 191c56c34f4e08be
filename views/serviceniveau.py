"""Serviceniveau: the frames and budgets, maintained here; what-if; what the data say."""

import ui
from slcore.actors import current_actor

view = ui.page("Serviceniveau")
# On the demo, the first save ends the demo: say so and let the user confirm once.
editor = ui.servicelevel.Editor(view, current_actor(app=True), ui.servicelevel.demo_end(view))

ui.tabs(
    "sn_fane",
    {
        "Rammer": lambda: ui.servicelevel.frames_tab(editor),
        "Ret en ramme": lambda: ui.servicelevel.edit_tab(editor),
        "Ændringer": lambda: ui.servicelevel.versions_tab(editor),
        "Hvad nu hvis": lambda: ui.servicelevel.whatif_tab(editor),
        "Rammer ud fra data": lambda: ui.servicelevel.from_data_tab(view),
        "Budgetter": lambda: ui.servicelevel.budgets_tab(editor),
    },
    keep=ui.servicelevel.KEPT_WIDGETS,
)
