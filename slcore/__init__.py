"""slcore: the Serviceniveau library (store, import, figures, frames, charts, CLI).

No Streamlit imports here: the pages and the command line call the same functions.
"""
