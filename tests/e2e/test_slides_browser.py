"""The slides in a real browser at a projector's, a screen's, an old projector's and a phone's size:
every text box inside its card, none clipped, none over another, the cards inside the slide (and the
slide inside the window, but on a phone, where the page scrolls down), no tooltip over the slide.
The commune demo's 11 slides, and the city demo's map slide (its picture shown in its card).

Measured with getBoundingClientRect on the slide's `data-card` / `data-box` elements
(`indicators.render.slides_html`); every slide's screenshot is kept in tests/_output/screenshots."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import SCREENSHOTS, full_screenshot

# what the browser shows, whichever store is behind it: the DuckDB pass is enough
pytestmark = [pytest.mark.e2e, pytest.mark.screen_only]

SIZES = [(1920, 1080), (1280, 720), (1024, 768), (390, 844)]
PERIOD = "2026-11"
SLIDES = 11

LAYOUT = """(phone) => {
  const problems = [];
  const slide = document.querySelector('[data-slide]');
  if (!slide) return ['no slide on the page'];
  const rect = (e) => e.getBoundingClientRect();
  const textRect = (e) => { const r = document.createRange(); r.selectNodeContents(e); return r.getBoundingClientRect(); };
  const inside = (a, b) => a.left >= b.left - 1 && a.right <= b.right + 1 && a.top >= b.top - 1 && a.bottom <= b.bottom + 1;
  const overlap = (a, b) => Math.max(0, Math.min(a.right, b.right) - Math.max(a.left, b.left))
                          * Math.max(0, Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top));
  const S = rect(slide);
  if (S.right > window.innerWidth + 1 || S.left < -1) problems.push(`the slide is wider than the window (${S.width})`);
  if (!phone && S.bottom > window.innerHeight + 1) problems.push(`the slide is taller than the window (${S.bottom})`);
  const cards = [...slide.querySelectorAll('[data-card]')];
  for (const card of cards) {
    const C = rect(card), name = card.dataset.card;
    if (C.width === 0 && C.height === 0) continue;  // not shown at this size (the phone's row headings)
    if (!inside(C, S)) problems.push(`card ${name} is outside the slide`);
    const boxes = [...card.querySelectorAll('[data-box]')].filter((b) => b.textContent.trim());
    const texts = boxes.map(textRect);
    boxes.forEach((box, i) => {
      const label = `“${box.textContent.trim().slice(0, 40)}” (${name})`;
      if (!inside(texts[i], C)) problems.push(`${label} spills out of its card`);
      if (!inside(texts[i], rect(box))) problems.push(`${label} spills out of its box`);
      if (box.scrollWidth > box.clientWidth + 1 || box.scrollHeight > box.clientHeight + 1)
        problems.push(`${label} is clipped`);
      for (let j = i + 1; j < boxes.length; j++)
        if (overlap(texts[i], texts[j]) > 2) problems.push(`${label} overlaps “${boxes[j].textContent.trim().slice(0, 40)}”`);
    });
  }
  for (let i = 0; i < cards.length; i++)
    for (let j = i + 1; j < cards.length; j++)
      if (overlap(rect(cards[i]), rect(cards[j])) > 2) problems.push(`cards ${cards[i].dataset.card} and ${cards[j].dataset.card} overlap`);
  return problems;
}"""

# the smallest text (the ranking of 14 hamlets) and the title, in CSS pixels, at each width
SMALLEST = {1920: 20, 1280: 13, 1024: 13, 390: 13}
TITLE = {1920: 48, 1280: 32, 1024: 28, 390: 22}
SIZES_JS = """() => {
  const px = (e) => parseFloat(getComputedStyle(e).fontSize);
  const boxes = [...document.querySelectorAll('[data-slide] [data-box]')].filter((b) => b.textContent.trim());
  return [Math.min(...boxes.map(px)), px(document.querySelector('[data-slide] .cds-title'))];
}"""

TOOLTIPS = """() => {
  const slide = document.querySelector('[data-slide]').getBoundingClientRect();
  return [...document.querySelectorAll('[data-testid=stTooltipContent], [role=tooltip], [data-baseweb=tooltip]')]
    .map((t) => t.getBoundingClientRect())
    .filter((t) => t.width > 0 && t.height > 0
      && Math.min(t.right, slide.right) > Math.max(t.left, slide.left)
      && Math.min(t.bottom, slide.bottom) > Math.max(t.top, slide.top)).length;
}"""



def _shot_and_problems(page, shot, phone: bool, width: int) -> list[str]:
    """Screenshot the slide (the whole page on a phone, where it scrolls) and list what is wrong
    with its layout and text sizes."""
    if phone:
        full_screenshot(page, shot)
    else:
        page.screenshot(path=str(shot))
    problems = page.evaluate(LAYOUT, phone)
    smallest, title = page.evaluate(SIZES_JS)
    if smallest < SMALLEST[width] or title < TITLE[width]:
        problems.append(f"text too small to read: {smallest:.0f} px, title {title:.0f} px")
    return problems

@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_every_slide_keeps_its_text_in_its_cards(demo_server, open_page, settle, size):
    width, height = size
    phone = width < 640
    page = open_page(f"{demo_server}/", width, height)  # signed in where the sidebar shows it
    page.goto(f"{demo_server}/trinh-chieu?ky={PERIOD}&trang=1", wait_until="domcontentloaded")
    settle(page)
    folder = SCREENSHOTS / "slides"
    folder.mkdir(parents=True, exist_ok=True)
    found: dict[int, list[str]] = {}
    for number in range(1, SLIDES + 1):
        page.get_by_text(f"Trang {number}/{SLIDES}").wait_for()
        shot = folder / f"slide{number:02d}_{width}x{height}.png"
        problems = _shot_and_problems(page, shot, phone, width)
        if problems:
            found[number] = problems
        if number < SLIDES:
            button = page.get_by_role("button", name="Sau ▶")
            button.click()
            settle(page)
            button.hover()  # a tooltip would show now, over the slide's title
            page.wait_for_timeout(700)
            assert page.evaluate(TOOLTIPS) == 0, f"a tooltip covers slide {number + 1} at {width}×{height}"
    assert not found, f"at {width}×{height}: " + "; ".join(f"slide {n}: {p}" for n, p in found.items())


MAP_SLIDE = 10  # a city's slides: the headline, 7 groups, the ranking, the map… (12 slides)

PICTURE = """() => {
  const img = document.querySelector('[data-slide="map"] [data-card="map"] img');
  if (!img) return null;
  const r = img.getBoundingClientRect();
  return {loaded: img.complete && img.naturalWidth > 0, width: r.width, height: r.height};
}"""


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_the_city_map_slide_keeps_its_text_in_its_cards(city_server, open_page, settle, size):
    from indicators.ingest.demo import CITY

    width, height = size
    phone = width < 640
    page = open_page(f"{city_server}/", width, height)
    page.goto(f"{city_server}/trinh-chieu?dv={CITY.code}&ky={PERIOD}&trang={MAP_SLIDE}", wait_until="domcontentloaded")
    page.get_by_text(f"Trang {MAP_SLIDE}/12").wait_for()
    page.locator('[data-slide="map"] img').wait_for()
    settle(page)
    shot = SCREENSHOTS / "slides" / f"city_map_{width}x{height}.png"
    problems = _shot_and_problems(page, shot, phone, width)
    picture = page.evaluate(PICTURE)
    assert picture and picture["loaded"], "the map's picture is not shown"
    # the picture takes the room it has: most of the slide's width on a phone, half of it on a screen
    assert picture["width"] >= (0.9 if phone else 0.45) * width and picture["height"] >= 0.25 * height, picture
    assert page.get_by_text("Ranh giới mang tính tham khảo.", exact=False).count()
    assert not problems, f"at {width}×{height}: {problems}"


# --- the longest content a slide may get, drawn alone (no server) ---------------------------------


def _hard_slides() -> list:
    """A map with 40 communes without a boundary, a city's 114 communes by status, 16 of 28 ranked hamlets with long names, five overdue tasks
    with long titles and units, every group of a month without data."""
    from datetime import date

    import pandas as pd

    from indicators.render import charts, slides

    def slide(kind: str, **body) -> slides.Slide:
        footer = "Thành phố Hải Phòng · Tháng 11/2026 · Nghị quyết 57-NQ/TW · DỮ LIỆU MẪU (minh họa)"
        return slides.Slide(f"Trang thử dài nhất có thể của loại {kind} – Tháng 11/2026", "Phụ đề " * 14, kind,
                            footer=footer, demo=True, page="10/11", **body)  # fmt: skip

    statuses = ["partial"] * 60 + ["late"] * 30 + ["on_time"] * 20 + ["missing"] * 4
    units = pd.DataFrame({"unit_name": [f"Xã Đông Thái Số {i:03d}" for i in range(len(statuses))],
                          "status": statuses})  # fmt: skip
    rows = [slides.Row(f"{i}. Thôn Vĩnh Hồng Thượng Mở Rộng {i}", 0.5, "100,0%", "● Có nguy cơ (13)", "at_risk")
            for i in range(1, 17)]  # fmt: skip
    title = "Xây dựng, cập nhật và tổ chức triển khai kế hoạch chuyển đổi số toàn diện theo lộ trình trung và dài hạn"
    table = [[f"NV{i}.12", title, "Phòng Văn hóa - Xã hội và Trung tâm Phục vụ hành chính công xã", "18/11/2026 (hằng tháng)",
              "1.310 ngày"] for i in range(slides.MAX_TASK_ROWS)]  # fmt: skip
    groups = [slides.Row(f"Chỉ tiêu số {i} có tên khá dài", 1.0, "100,0%", "★ Đã đạt", "achieved", target="100,0%")
              for i in range(8)]  # fmt: skip
    names = [f"Xã Đông Thái Số {i:03d}" for i in range(40)]
    note = slides.map_slide(_map_month(names)).note
    keys = [slides.MapKey(s, f"{charts.status_label(s)}: {n} xã") for s, n in
            [("achieved", 100), ("on_track", 4), ("at_risk", 5), ("behind", 5), ("no_data", 40)]]  # fmt: skip
    return [
        slide("map", picture=_picture, picture_size=slides.MAP_PICTURE, keys=keys, note=note),
        slide("submissions", lists=slides._status_lists(units), legend="Các xã – " + "✓ Đúng hạn: 20   " * 4),
        slide("ranking", rows=rows, headers=("Thôn", "Tiến độ bình quân", "Tiến độ", "Đánh giá (số chỉ tiêu chậm)")),
        slide("tasks", table=table, headers=slides.TASK_HEADERS),
        slide("group", rows=groups, headers=("Chỉ tiêu", "Tiến độ so với mục tiêu năm 2026", "Giá trị / mục tiêu",
                                             "Đánh giá")),  # fmt: skip
        slides.tasks_slide(_no_overdue(date(2026, 11, 27))),
    ]


def _picture() -> bytes:
    """A map-shaped picture (the slide's own is made by Kaleido: not needed to check the layout)."""
    from io import BytesIO

    from PIL import Image

    from indicators.render.slides import MAP_PICTURE

    buffer = BytesIO()
    Image.new("RGB", (2 * MAP_PICTURE[0], 2 * MAP_PICTURE[1]), "#009E73").save(buffer, "PNG")
    return buffer.getvalue()


def _map_month(unmapped: list[str]):
    """A month whose map leaves `unmapped` out: what `slides.map_slide` reads of it."""
    from types import SimpleNamespace

    unit_map = SimpleNamespace(title="Tiến độ chung theo xã – Tháng 11/2026", notice="Ranh giới mang tính tham khảo.",
                               noun="xã", unmapped_names=unmapped, status_counts=lambda: [],
                               picture=lambda w, h: _picture())  # fmt: skip
    return SimpleNamespace(map=unit_map, year=2026, footer="Thành phố Hải Phòng · Tháng 11/2026", demo=False)


def _no_overdue(today):
    from types import SimpleNamespace

    import pandas as pd

    root = SimpleNamespace(label="Xã Bình Giang")
    return SimpleNamespace(overdue=pd.DataFrame(), today=today, footer=f"{root.label} · Tháng 11/2026", demo=False)


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_the_longest_contents_stay_in_their_cards(browser, size):
    from indicators.render import slides_html

    width, height = size
    page = browser.new_page(viewport={"width": width, "height": height})
    try:
        found = {}
        for i, slide in enumerate(_hard_slides()):
            body = slides_html.slide_html(slide)
            page.set_content(f'<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><style>'
                             f"html, body {{ margin: 0; height: 100%; }}{slides_html.CSS}</style></head>"
                             f"<body>{body}</body></html>")  # fmt: skip
            page.screenshot(path=str(SCREENSHOTS / "slides" / f"hard{i + 1}_{slide.kind}_{width}x{height}.png"),
                            full_page=True)  # fmt: skip
            problems = page.evaluate(LAYOUT, width < 640)
            if problems:
                found[f"{i + 1} ({slide.kind})"] = problems[:6]
        assert not found, f"at {width}×{height}: {found}"
    finally:
        page.close()
