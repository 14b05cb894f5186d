"""The listening dashboard's code: where the data lives (warehouse), which SQL it runs (sql_files), what each
chart asks (questions) and how it is drawn (charts). streamlit_app.py composes them into the page."""
