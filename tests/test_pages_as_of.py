"""The dashboards as they stood at a moment (?luc=…, issue 23 item 5), through AppTest."""

from __future__ import annotations

from datetime import datetime

import pytest
from streamlit.testing.v1 import AppTest

from indicators import metrics
from indicators.domain import catalog, format
from indicators.ingest import import_file
from indicators.storage import open_store, store_as_of
from tests import support
from tests.support import ADMIN, demo_db

PERIOD = "2026-11"
COMMUNE = "10966"
CODE = catalog.HEADLINE_CODES[0]


def _headline(at: AppTest) -> str:
    return next(m.value for m in at.metric if m.label == catalog.HEADLINE[CODE])


@pytest.fixture
def changed_demo(tmp_path, monkeypatch) -> tuple[str, datetime]:
    """The demo database with one November figure of every hamlet changed now; and a moment before."""
    db = demo_db(tmp_path)
    monkeypatch.setenv("CDS_DB", str(db))
    store = open_store(db)
    before = datetime(2026, 11, 27, 12, 0)  # after the demo's last batch, before the change
    item = catalog.indicator(CODE)
    lines = ["ky_bao_cao,don_vi,ma_chi_tieu,tu_so,mau_so,gia_tri,ghi_chu"]
    lines += [f"{PERIOD},BG{n:02d},{CODE},1,1000,," if item.kind == "ratio" else f"{PERIOD},BG{n:02d},{CODE},,,0,"
              for n in range(1, 15)]  # fmt: skip
    report = import_file(store, "doi.csv", "\n".join(lines).encode(), ADMIN)
    assert report.ok, report.issues
    return str(db), before


def test_the_overview_at_a_moment_shows_the_figures_of_that_moment(changed_demo):
    db, before = changed_demo
    at = support.app_test(60)
    at.query_params.update({"ky": PERIOD, "luc": before.strftime("%Y-%m-%dT%H:%M")})
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("Số liệu tại thời điểm 12:00 27/11/2026" in i.value for i in at.info)
    then = metrics.commune_summary(store_as_of(open_store(db), before), PERIOD, COMMUNE).set_index("indicator_code")
    now = metrics.commune_summary(open_store(db), PERIOD, COMMUNE).set_index("indicator_code")
    kind = catalog.indicator(CODE).kind
    shown = format.indicator_value(then.loc[CODE, "value"], kind)
    assert shown != format.indicator_value(now.loc[CODE, "value"], kind), "the change shows in the figures"
    assert _headline(at) == shown


def test_a_bad_moment_warns_and_shows_the_figures_of_now(changed_demo):
    at = support.app_test(60)
    at.query_params.update({"ky": PERIOD, "luc": "hôm qua"})
    at.run()
    assert not at.exception
    assert any("không hợp lệ" in w.value for w in at.warning)
    assert not any("Số liệu tại thời điểm" in i.value for i in at.info)
