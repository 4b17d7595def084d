"""The city view in a real browser: the unit picker in the sidebar, the URL, both levels."""

from __future__ import annotations

import pytest

from tests.e2e.test_browser import check_clean

pytestmark = pytest.mark.e2e


def test_city_and_commune_views(city_server, open_page, settle, screenshot):
    page = open_page(f"{city_server}/theo-thon")
    check_clean(page)
    assert page.locator("[data-testid=stMain] h1").inner_text() == "Tiến độ theo xã"
    assert "dv=31" in page.url  # the city, kept in the URL
    assert "Thành phố Hải Phòng" in page.inner_text("[data-testid=stMain]")
    assert page.locator("[data-testid=stMain] .js-plotly-plot").count() >= 1
    screenshot(page, "theo-thon_city")

    overview = open_page(f"{city_server}/?dv=10966")
    check_clean(overview)
    assert "Xã Bình Giang" in overview.inner_text("[data-testid=stMain]")
    assert "dv=10966" in overview.url
    screenshot(overview, "tong-quan_city_10966")

    old_link = open_page(f"{city_server}/?dv=01310")  # a link made before the official codes
    check_clean(old_link)
    assert "Xã Bình Giang" in old_link.inner_text("[data-testid=stMain]")
    assert "dv=10966" in old_link.url
