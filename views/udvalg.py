"""Udvalgsvisning: the slides for a committee, projected, under the small-number rule."""

import ui

view = ui.data_page("Udvalgsvisning", with_header=False)
ui.committee.show(view)
