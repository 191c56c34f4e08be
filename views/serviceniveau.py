"""Serviceniveau: the frames and budgets, maintained here; what-if; what the data say."""

import ui

view = ui.page("Serviceniveau")
# On the demo, the first save ends the demo: say so and let the user confirm once.
editor = ui.servicelevel.Editor(view, view.store.access.who, ui.servicelevel.demo_end(view))

parts = {
    "Rammer": lambda: ui.servicelevel.frames_tab(editor),
    "Ret en ramme": lambda: ui.servicelevel.edit_tab(editor),
    "Ændringer": lambda: ui.servicelevel.versions_tab(editor),
    "Hvad nu hvis": lambda: ui.servicelevel.whatif_tab(editor),
    "Rammer ud fra data": lambda: ui.servicelevel.from_data_tab(view),
    "Budgetter": lambda: ui.servicelevel.budgets_tab(editor),
    "Roller og ansvar": lambda: ui.servicelevel.roles_tab(editor),
    "Dokument": lambda: ui.servicelevel.document_tab(editor),
}
if not editor.may_edit:  # read only: the frames are seen, not changed (slcore refuses it too)
    del parts["Ret en ramme"]
    ui.servicelevel.read_only_note()
ui.tabs("sn_fane", parts, keep=ui.servicelevel.KEPT_WIDGETS)
