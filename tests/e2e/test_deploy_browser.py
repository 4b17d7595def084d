"""A city deployment as docs/deploy.md describes it: two app servers on one PostgreSQL database
behind nginx (deploy/nginx.conf, sticky sessions), driven in a real browser."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path
from urllib.request import urlopen

import pytest

from indicators.domain import catalog
from indicators.storage import Store
from tests import support
from tests.e2e.conftest import LOGS, _free_port, _python, _stop, serve, warm_up
from tests.e2e.test_browser import (
    CODE,
    CONFIRM,
    _commune_percent,
    _csv,
    _current,
    _upload,
    check_clean,
    metric_value,
)

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
NGINX_CONF = ROOT / "deploy" / "nginx.conf"


def _nginx() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    assert found, "nginx is missing: `make test` installs it (scripts/install-system-deps.sh --tests)"
    return found


def _config(folder: Path, listen: int, workers: list[int]) -> Path:
    """deploy/nginx.conf with this test's ports, pid file and temp folders (nothing else changed)."""
    text = NGINX_CONF.read_text()
    servers = "".join(f"        server 127.0.0.1:{port};\n" for port in workers)
    text = re.sub(r"(        server 127\.0\.0\.1:\d+;\n)+", servers, text)
    text = text.replace("listen 8080;", f"listen 127.0.0.1:{listen};")
    text = text.replace("pid /tmp/cds-nginx.pid;", f"pid {folder / 'nginx.pid'};")
    temp = "".join(f"    {kind}_temp_path {folder / kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    text = text.replace("http {\n", "http {\n" + temp, 1)
    path = folder / "nginx.conf"
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def deployment(tmp_path_factory, browser):
    """(address through nginx, server A, server B, database URL)."""
    folder = tmp_path_factory.mktemp("deploy")
    url = support.new_postgres_database()
    demo = support.demo_db(folder)
    done = subprocess.run([_python(), "-m", "indicators", "migrate", "--db", str(demo), "--to", url],
                          cwd=ROOT, capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    with serve(url, "deploy_a") as a, serve(url, "deploy_b") as b:
        listen = _free_port()
        config = _config(folder, listen, [int(a.rsplit(":", 1)[1]), int(b.rsplit(":", 1)[1])])
        checked = subprocess.run([_nginx(), "-t", "-c", str(config)], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
        LOGS.mkdir(parents=True, exist_ok=True)
        with open(LOGS / "nginx.log", "wb") as log:
            proxy = subprocess.Popen([_nginx(), "-c", str(config), "-g", "daemon off;"], stdout=log,
                                     stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
        base = f"http://127.0.0.1:{listen}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if urlopen(f"{base}/_stcore/health", timeout=2).status == 200:
                        break
                except OSError:
                    pass
                assert time.monotonic() < deadline and proxy.poll() is None, (LOGS / "nginx.log").read_text()
                time.sleep(0.2)
            warm_up(browser, a)
            warm_up(browser, b)
            yield base, a, b, url
        finally:
            _stop(proxy)
    support.drop_postgres_database(url)


def test_the_shipped_nginx_configuration_is_valid(deployment):
    """`nginx -t` passed on deploy/nginx.conf (only ports, pid and temp folders changed)."""
    base, *_ = deployment
    assert urlopen(f"{base}/_stcore/health", timeout=5).read().strip() == b"ok"


def test_an_upload_through_the_proxy_is_seen_by_every_server(deployment, open_page, settle, screenshot):
    base, server_a, server_b, url = deployment
    label = catalog.HEADLINE[CODE]
    before = _commune_percent(_current(url))
    page = open_page(f"{base}/")  # logs in through nginx; the websocket goes through it too
    check_clean(page)
    assert metric_value(page, label) == before
    screenshot(page, "deploy_tong-quan_proxy")

    # a file uploaded through nginx must reach the server that holds the session (sticky)
    after = {unit: (min(den, num + round(0.05 * den)), den) for unit, (num, den) in _current(url).items()}
    expected = _commune_percent(after)
    assert expected != before
    upload = open_page(f"{base}/nop-so-lieu")
    _upload(upload, settle, "qua_proxy.csv", _csv(after))
    check_clean(upload)
    confirm = upload.get_by_role("button", name=CONFIRM, exact=True)
    confirm.first.wait_for(timeout=60_000)
    confirm.click()
    settle(upload)
    check_clean(upload)
    assert _commune_percent(_current(url)) == expected

    # both servers show the new figure at their next run: nothing cached the old one
    for server in (server_a, server_b, base):
        page = open_page(f"{server}/")
        assert metric_value(page, label) == expected, server
    screenshot(page, "deploy_tong-quan_after-upload")

    # a revert from the command line (a third process) is seen by both servers too
    store = Store(url)
    try:
        batch = int(store.batches(limit=1).iloc[0]["id"])
    finally:
        store.close()
    done = subprocess.run([_python(), "-m", "indicators", "revert", "--db", url, str(batch)],
                          cwd=ROOT, capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    for server in (server_a, server_b):
        page = open_page(f"{server}/")
        assert metric_value(page, label) == before, server
