"""Reading what the dashboard shows out of an AppTest run: charts by their description, with the data they draw."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parents[1] / "streamlit_app.py"


WEEK_VIEW = "Week & playlists"


def run_app(monkeypatch, warehouse: Path, sql_dir: Path | None = None, view: str = WEEK_VIEW) -> AppTest:
    """The page on `warehouse`, on `view` where the page offers views (a warehouse with a listening history)."""
    monkeypatch.setenv("PIPELINE_WAREHOUSE_FILE", str(warehouse))
    if sql_dir is not None:
        monkeypatch.setenv("DASHBOARD_SQL_DIR", str(sql_dir))
    else:
        monkeypatch.delenv("DASHBOARD_SQL_DIR", raising=False)
    app = AppTest.from_file(str(APP), default_timeout=60)
    app.session_state["view"] = view
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def charts(app: AppTest) -> dict[str, list[pd.DataFrame]]:
    """Every Vega-Lite chart on the page: description -> the data of each of its datasets (one per layer data)."""
    found: dict[str, list[pd.DataFrame]] = {}
    for element in app.get("arrow_vega_lite_chart") + [e for e in app.main if getattr(e, "type", None) == "vega_lite_chart"]:
        proto = element.proto
        spec = json.loads(proto.spec)
        frames = [pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in proto.datasets]
        if proto.HasField("data") and proto.data.data:
            frames.append(pa.ipc.open_stream(proto.data.data).read_all().to_pandas())
        assert spec.get("description"), f"a chart without a description: {spec}"
        found[spec["description"]] = frames
    return found


def chart_data(app: AppTest, description: str) -> pd.DataFrame:
    found = charts(app)
    assert description in found, f"no chart {description!r}; charts on the page: {sorted(found)}"
    return found[description][0]


def texts(app: AppTest) -> str:
    """All info, warning and markdown text on the page, for messages."""
    return "\n".join(str(e.value) for kind in ("info", "warning", "markdown", "caption") for e in getattr(app, kind))


def metrics(app: AppTest) -> dict[str, tuple[str, str | None]]:
    return {m.label: (m.value, m.delta or None) for m in app.metric}
