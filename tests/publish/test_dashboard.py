"""`sdc dashboard` in a real headless Chromium (Debian's, driven by Playwright): one server (the real CLI in a
subprocess, on a copy of the first-publish workspace) and one browser for the module.

Every page is checked against SQL over the same masked published marts; every request the pages make is
watched, and any to a host other than 127.0.0.1 is refused and fails the test. Screenshots go to
$SDC_TEST_ARTEFACTS (or a folder under pytest's tmp dir), printed at the start.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import shutil
import subprocess
import threading
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from workspace import SDC, copy_of_first_publish

from entity_resolution.normalise import name_core
from warehouse.masking import ID_CANDIDATE, PHONE_CANDIDATE, id_number_valid
from warehouse.reader import open_published

pytestmark = pytest.mark.integration  # the first-publish workspace runs the pipeline once per session

LAYERS = ("enterprise", "construction_project", "vehicle_alarm", "crane")


@pytest.fixture(scope="module")
def ws(publish_template, tmp_path_factory):
    return copy_of_first_publish(publish_template, tmp_path_factory, "dashboard")


@pytest.fixture(scope="module")
def marts(ws):
    """The masked session the expected numbers come from: the published marts as `sdc sql` shows them."""
    with open_published(ws[1]) as session:
        yield lambda sql: session.sql(sql).fetchall()


@contextlib.contextmanager
def dashboard(env: dict[str, str]):
    """`sdc dashboard` on any free port; its URL."""
    server = subprocess.Popen([SDC, "dashboard", "--port", "0"], env=env, stdout=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()  # printed once the socket listens
        found = re.search(r"http://127\.0\.0\.1:\d+/", line)
        assert found, f"no URL from sdc dashboard: {line!r} (exit {server.poll()})"
        yield found.group(0)
    finally:
        stop(server)


def stop(server: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL after 30 s. Once in CI (a loaded machine, 6 December) a dashboard outlived its SIGTERM
    by 30 s; its state then goes into a warning rather than failing tests that are about what it serves."""
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        status = Path(f"/proc/{server.pid}/status")
        state = status.read_text() if status.exists() else ""
        lines = [line for line in state.splitlines() if line.startswith(("State", "Sig", "Threads"))]
        server.kill()
        server.wait(timeout=30)
        warnings.warn(f"sdc dashboard outlived SIGTERM by 30 s: {'; '.join(lines)}", stacklevel=2)


@pytest.fixture(scope="module")
def url(ws):
    with dashboard(ws[0]) as found:
        yield found


@pytest.fixture(scope="module")
def artefacts(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("SDC_TEST_ARTEFACTS") or tmp_path_factory.mktemp("dashboard-screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\ndashboard screenshots: {folder}")
    return folder


def _chromium() -> str:
    found = os.environ.get("SDC_TEST_CHROMIUM") or shutil.which("chromium")
    if not found:
        if os.environ.get("CI"):
            raise RuntimeError("chromium is missing: .ci/run installs it (apt-get install chromium fonts-wqy-zenhei)")
        pytest.skip("Debian's chromium is not installed here")
    return found


@pytest.fixture(scope="module")
def browser_page(url):
    """One page of one headless Chromium; `foreign` collects every request to a host other than 127.0.0.1
    (refused: the page must work without them)."""
    from playwright.sync_api import sync_playwright

    foreign: list[str] = []

    def guard(route):  # recorded by the request listener below
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=_chromium())
        context = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True)
        context.route("**/*", guard)
        page = context.new_page()
        page.on("request", lambda r: None if urlsplit(r.url).hostname == "127.0.0.1" else foreign.append(r.url))
        yield page, foreign
        browser.close()


def visit(browser_page, url: str, fragment: str, artefacts: Path | None = None):
    """Open the page at `#fragment`, wait until it has rendered; fail on any request off the machine."""
    page, foreign = browser_page
    page.goto(f"{url}#{fragment}")
    page.wait_for_function(
        "() => { const m = document.querySelector('main');"
        " return m.getAttribute('aria-busy') === 'false' && m.dataset.rendered === location.hash; }",
        timeout=30_000,
    )
    assert not page.locator("main .error").count(), page.locator("main .error").inner_text()
    if artefacts is not None:
        name = re.sub(r"[^A-Za-z0-9_]+", "_", fragment).strip("_")
        page.screenshot(path=str(artefacts / f"{name}.png"), full_page=True)
    assert foreign == [], f"requests left the machine: {foreign}"
    return page


def number(text: str) -> int:
    return int(text.replace(",", "").strip())


def test_overview_numbers_equal_sql_over_the_published_marts(browser_page, url, marts, artefacts):
    page = visit(browser_page, url, "overview", artefacts)
    expected = {
        "enterprises": "select count(*) from enterprise_profile",
        "enterprises_in_several_departments": """select count(*) from enterprise_profile
                                                 where len(reporting_systems) > 1""",
        "open_alerts": "select count(*) from cross_department_alerts",
        "equipment_overdue": "select coalesce(sum(overdue), 0) from equipment_inspection_status",
        "dishonest_subjects": "select count(*) from enterprise_profile where is_dishonest",
        "entities_reported_twice": "select count(*) from duplicate_reporting where department_count > 1",
        "entities_in_conflict": """select count(*) from duplicate_reporting where department_count > 1
                                   and (distinct_names > 1 or distinct_towns > 1 or distinct_addresses > 1)""",
    }
    for kpi, sql in expected.items():
        assert number(page.locator(f'[data-kpi="{kpi}"]').inner_text()) == marts(sql)[0][0], kpi
    assert marts("select count(*) from enterprise_profile")[0][0] > 0  # a real workspace, not an empty page
    by_town = [number(t) for t in page.locator('#alerts-by-town td[data-col="alerts"]').all_inner_texts()]
    assert sum(by_town) == marts("select count(*) from cross_department_alerts")[0][0]
    shown = page.locator('#freshness td[data-col="dataset"]').all_inner_texts()
    assert shown == [r[0] for r in marts("select distinct dataset from data_freshness order by 1")]
    for department, enterprises in marts(
        "select s, count(*) from (select unnest(reporting_systems) s from enterprise_profile) group by 1"
    ):
        assert number(page.locator(f'[data-bar="{department}"]').text_content()) == enterprises


def test_the_trend_reads_earlier_publishes_through_the_same_masked_selects(ws):
    """An earlier publish's KPIs come from its mart snapshots (time travel on the pinned session): read at the
    shown publish's own snapshots they are the page's KPIs."""
    from dashboard import marts as dashboard_marts

    with open_published(ws[1]) as session:
        assert dashboard_marts.earlier_kpis(session, session.entry) == dashboard_marts.overview(session)["kpis"]


def test_search_finds_an_enterprise_from_a_variant_of_its_name(browser_page, url, marts, artefacts):
    enterprise_id, name, uscc = marts(
        """select enterprise_id, name, uscc from enterprise_profile
           where name like '太仓市%有限公司' and uscc is not null order by mention_count desc, enterprise_id limit 1"""
    )[0]
    # as another department might type it: province prefix, the longer legal form, a space, full-width brackets
    variant = "江苏省" + name.replace("有限公司", " 有限责任公司")
    page = visit(browser_page, url, "enterprise")
    page.fill('form.search input[name="q"]', variant)
    page.click("form.search button")
    page.wait_for_selector(f'a[data-enterprise="{enterprise_id}"]', timeout=30_000)
    page.screenshot(path=str(artefacts / "enterprise_search.png"), full_page=True)
    page.click(f'a[data-enterprise="{enterprise_id}"]')
    page.wait_for_selector(f'#enterprise-name[data-enterprise-id="{enterprise_id}"]', timeout=30_000)
    page.wait_for_selector('main[aria-busy="false"]')
    assert page.locator("#enterprise-name").inner_text() == name
    mentions = marts(
        f"select source_file, source_record_number from enterprise_xref where enterprise_id = '{enterprise_id}'"
    )
    assert page.locator("#mentions tbody tr").count() == len(mentions)
    sources = page.locator('#mentions td[data-col="source_file"]').all_inner_texts()
    assert sorted(sources) == sorted(f"{f} 第 {n} 行" for f, n in mentions)
    page.screenshot(path=str(artefacts / "enterprise_file.png"), full_page=True)
    # and by its USCC, typed with a space and in lower case, and by its short name (字号 + 行业: 恒泰化工)
    page = visit(browser_page, url, f"enterprise?q={uscc[:9].lower()} {uscc[9:]}")
    assert page.locator(f'a[data-enterprise="{enterprise_id}"]').count() == 1
    page = visit(browser_page, url, f"enterprise?q={name_core(name)}")
    assert page.locator(f'a[data-enterprise="{enterprise_id}"]').count() == 1
    assert browser_page[1] == []


def test_the_map_shows_every_layer_and_towns_from_the_data(browser_page, url, marts, artefacts):
    page = visit(browser_page, url, "map", artefacts)
    counts = dict(marts("select layer, count(*) from map_points group by 1"))
    # every layer the first publish has points in (its workspace pulls no API: no vehicle alarms), cranes included
    assert set(LAYERS) - {"vehicle_alarm"} <= set(counts) <= set(LAYERS), counts
    for layer in LAYERS:
        assert page.locator(f'input[data-layer="{layer}"]').count() == 1, layer
        assert page.locator(f'circle[data-layer="{layer}"]').count() == counts.get(layer, 0), layer
        assert number(page.locator(f'[data-layer-count="{layer}"]').inner_text()) == counts.get(layer, 0)
    towns = [r[0] for r in marts("select distinct town from map_points where town is not null order by 1")]
    assert sorted(page.locator("text.town").all_text_contents()) == towns
    # a layer switched off is hidden, the others stay
    page.uncheck('input[data-layer="enterprise"]')
    assert page.locator('circle[data-layer="enterprise"]:visible').count() == 0
    assert page.locator('circle[data-layer="construction_project"]:visible').count() == counts.get(
        "construction_project", 0
    )
    assert browser_page[1] == []


def test_quality_page_and_its_download_for_a_department(browser_page, url, ws, artefacts):
    page = visit(browser_page, url, "quality/special_equipment", artefacts)
    with open_published(ws[1]) as session:  # the lake's own logs, at the same publish
        con = session.connection
        accepted, quarantined = con.execute(
            """select sum(rows_accepted), sum(rows_quarantined) from lake.meta.validation_log
               where dataset like 'special_equipment.%'"""
        ).fetchone()
        open_reasons = con.execute(
            """select count(*) from (select unnest(reasons) from lake.quarantine.rows
               where dataset like 'special_equipment.%' and released_at is null and superseded_by_load is null)"""
        ).fetchone()[0]
        flags = sum(
            con.execute(f"select coalesce(sum(len(_warnings)), 0) from lake.validated.{t}").fetchone()[0]
            for t in ("special_equipment__equipment", "special_equipment__inspection")
        )
    row = page.locator("#quality-summary tbody tr", has_text="市市场监督管理局")
    assert number(row.locator('td[data-col="accepted"]').inner_text()) == accepted
    assert number(row.locator('td[data-col="quarantined"]').inner_text()) == quarantined
    assert quarantined > 0, "the template has quarantined equipment rows: the list must show them"
    assert sum(number(t) for t in page.locator('#rules td[data-col="rows"]').all_inner_texts()) == open_reasons + flags

    with page.expect_download() as csv_download:
        page.click("#download-csv")
    text = Path(csv_download.value.path()).read_text("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0][:6] == ["数据集", "处理结果", "规则", "字段", "来源文件", "行号"]
    assert len(lines) - 1 == open_reasons + flags
    assert all(line[4].startswith("special_equipment/") and line[5].isdigit() for line in lines[1:])

    with page.expect_download() as xlsx_download:
        page.click("#download-xlsx")
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(Path(xlsx_download.value.path()).read_bytes()), read_only=True).worksheets[0]
    assert len(list(sheet.iter_rows(values_only=True))) == len(lines)
    assert browser_page[1] == []


def test_quality_examples_are_masked(browser_page, url, artefacts):
    """hazchem's contracts classify persons' names, phones and ID numbers: its flagged examples show them masked."""
    page = visit(browser_page, url, "quality/hazchem", artefacts)
    assert page.locator("#rules tbody tr").count() > 0, "hazchem's flagged rows are the examples checked here"
    with page.expect_download() as download:
        page.click("#download-csv")
    exported = Path(download.value.path()).read_text("utf-8-sig") + page.locator("main").inner_text()
    assert not [x for x in re.findall(ID_CANDIDATE, exported) if id_number_valid(x)]
    assert not re.findall(PHONE_CANDIDATE, exported)
    assert "*" in exported  # a person's name or a phone number, shown masked


def test_pages_load_nothing_but_their_own_origin(browser_page, url):
    """The server forbids other origins (Content-Security-Policy) and answers only to its own name, and the guard of
    these tests catches any request elsewhere."""
    import urllib.error
    import urllib.request

    with urllib.request.urlopen(url) as response:
        policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "http" not in policy
    rebound = urllib.request.Request(url + "api/overview", headers={"Host": "attacker.example"})
    with pytest.raises(urllib.error.HTTPError, match="403"):  # DNS rebinding: another site's name, our address
        urllib.request.urlopen(rebound)
    page = browser_page[0].context.new_page()  # the guard is the context's; this page's requests are its own
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url))
    with pytest.raises(Exception, match=r"net::ERR_"):
        page.goto("http://192.0.2.1/tile.png", timeout=10_000)  # TEST-NET-1: the guard must refuse it
    page.close()
    assert seen == ["http://192.0.2.1/tile.png"]


def test_a_deployments_tile_server_draws_under_the_map(browser_page, ws, artefacts):
    """SDC_MAP_TILES: tiles come from the deployment's own server (here one on loopback), in the map's projection."""
    asked: list[str] = []
    png = bytes.fromhex(
        "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c63f8cfc0f01f0005"
        "0001ff5ccc2f1b0000000049454e44ae426082"
    )

    class Tiles(BaseHTTPRequestHandler):
        def do_GET(self):
            asked.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(png)))
            self.end_headers()
            self.wfile.write(png)

        def log_message(self, *args):
            pass

    tiles = ThreadingHTTPServer(("127.0.0.1", 0), Tiles)
    threading.Thread(target=tiles.serve_forever, daemon=True).start()
    template = f"http://127.0.0.1:{tiles.server_address[1]}/{{z}}/{{x}}/{{y}}.png"
    try:
        with dashboard({**ws[0], "SDC_MAP_TILES": template}) as tiled:
            page = visit(browser_page, tiled, "map")
            page.wait_for_function("() => [...document.querySelectorAll('#map-svg image')].length > 0")
            drawn = page.locator("#map-svg image").count()
            for _ in range(300):  # the images load after the page has drawn: wait for the tile server to see them
                if len(asked) >= drawn:
                    break
                page.wait_for_timeout(100)
            page.screenshot(path=str(artefacts / "map_with_tiles.png"))
    finally:
        tiles.shutdown()
    assert drawn > 0 and len(asked) == drawn
    assert all(re.fullmatch(r"/\d+/\d+/\d+\.png", p) for p in asked)
    assert browser_page[1] == []


def test_sigterm_stops_the_dashboard_even_where_its_parent_ignored_it(ws):
    """A service manager's SIGTERM stops `sdc dashboard` cleanly (exit 0), also when the process that started it
    ignored SIGTERM (an ignored signal is inherited: so it was in a CI shell, and two dashboards outlived the tests)."""
    import signal

    server = subprocess.Popen(
        [SDC, "dashboard", "--port", "0"],
        env=ws[0],
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGTERM, signal.SIG_IGN),
    )
    try:
        assert re.search(r"http://127\.0\.0\.1:\d+/", server.stdout.readline())
        server.terminate()
        assert server.wait(timeout=20) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
