"""The playground page in a real headless Chromium (Debian's chromium + chromium-driver,
driven by Selenium): XOR with 2-4-1 tanh trains to 100 % on the page, the boundary
picture changes, backprop for one point shows model.graph's numbers, and the downloaded
model loads with nc.load. Skipped only where no Chromium or chromedriver is installed."""
from __future__ import annotations

import json
import shutil
import time

import numpy as np
import pytest

selenium_exceptions = pytest.importorskip("selenium.common.exceptions")
StaleElementReferenceException = selenium_exceptions.StaleElementReferenceException

pytest.importorskip("starlette", reason="the playground needs starlette (pip install nncore[playground])")
pytest.importorskip("uvicorn", reason="the playground needs uvicorn (pip install nncore[playground])")
webdriver = pytest.importorskip("selenium.webdriver", reason="the browser test needs selenium")

import nncore as nc  # noqa: E402
from nncore.native.threads import requested_num_threads  # noqa: E402
from nncore.playground import PlaygroundServer  # noqa: E402
from nncore.playground.datasets import make_split  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
if not (CHROMIUM and DRIVER):
    pytest.skip("no headless browser here: install Debian's chromium and chromium-driver "
                "(apt-get install chromium chromium-driver) to run the page test",
                allow_module_level=True)

DEADLINE = 180.0


@pytest.fixture(scope="module")
def server():
    before = requested_num_threads()
    nc.set_num_threads(1)
    s = PlaygroundServer(port=0).start()
    yield s
    s.stop()
    nc.set_num_threads(before)


@pytest.fixture
def browser(tmp_path):
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                "--window-size=1400,1200"):
        options.add_argument(arg)
    options.add_experimental_option("prefs", {"download.default_directory": str(tmp_path),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.execute_cdp_cmd("Page.setDownloadBehavior",
                           {"behavior": "allow", "downloadPath": str(tmp_path)})
    yield driver
    driver.quit()


def wait_for(what, condition, timeout=DEADLINE):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            value = condition()
        except StaleElementReferenceException:  # redrawn while read: read it again
            value = None
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"the page did not show {what} within {timeout} s")


def set_value(driver, element_id, value):
    """Set a control as a person would leave it: the value, then its change event."""
    driver.execute_script(
        "const e = document.getElementById(arguments[0]); e.value = arguments[1];"
        "e.dispatchEvent(new Event('change'));", element_id, str(value))


def text(driver, element_id):
    return driver.find_element("id", element_id).text


def canvas_pixels(driver, element_id):
    return driver.execute_script(
        "const c = document.getElementById(arguments[0]);"
        "return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data);",
        element_id)


def version(driver):
    return int(driver.find_element("tag name", "body").get_attribute("data-version") or 0)


def test_xor_trains_on_the_page_backprop_matches_and_the_model_downloads(server, browser, tmp_path):
    d = browser
    d.get(server.url)
    wait_for("a session", lambda: d.find_element("tag name", "body").get_attribute("data-session"))
    wait_for("the first picture", lambda: version(d) > 0)

    # XOR with 2-4-1 tanh
    set_value(d, "dataset", "xor")
    wait_for("the XOR data", lambda: d.execute_script(
        "return document.getElementById('dataset').value") == "xor" and text(d, "epoch") == "0")
    set_value(d, "width-0", 4)
    wait_for("17 parameters", lambda: text(d, "params") == "17")
    # (the controls are redrawn with each snapshot: read them through the page's script)
    assert d.execute_script("return document.getElementById('act-0').value") == "tanh"
    assert d.execute_script("return document.getElementById('output').value") == "sigmoid"
    before = canvas_pixels(d, "boundary")    # drawn with the "17" from the 2-4-1 snapshot

    # A bad value is refused with the server's message on the page, and the page recovers.
    set_value(d, "width-0", 99)
    wait_for("the error banner", lambda: d.find_element("id", "error").is_displayed())
    assert "network.hidden[0].width must be an integer in 1..32, got 99" in text(d, "error-text")
    wait_for("the width put back", lambda: d.find_element("id", "width-0").get_attribute("value") == "4")
    assert text(d, "params") == "17"
    d.find_element("id", "error-close").click()

    d.find_element("id", "play").click()
    wait_for("100 % training accuracy", lambda: text(d, "train-acc") == "100.0 %")
    assert int(text(d, "epoch")) > 0
    after = canvas_pixels(d, "boundary")
    assert len(after) == len(before) and after != before        # the boundary moved
    changed = np.mean(np.array(after) != np.array(before))
    assert changed > 0.05

    # Backprop for training point 7, one click per operation.
    set_value(d, "bp-point", 7)
    d.find_element("id", "bp-build").click()
    wait_for("the graph", lambda: d.find_elements("css selector", "#bp-graph .node"))
    wait_for("training paused", lambda: d.find_element("id", "play").text == "▶")
    clicks = 0
    while d.find_element("id", "bp-step").is_enabled():
        d.find_element("id", "bp-step").click()
        clicks += 1
        assert clicks <= 50
    assert "Step 7 of 7" in text(d, "bp-text")      # J, ŷ, a2, m2, h1, a1, m1
    cards = {c.get_attribute("data-name"): c for c in d.find_elements("css selector", "#bp-graph .node")}

    # The downloaded model, loaded with nc.load, gives the same graph.
    d.find_element("id", "download-model").click()
    path = tmp_path / "playground-model.nncore"
    wait_for("the download", lambda: path.exists() and path.stat().st_size > 0, timeout=30)
    model = nc.load(path)
    assert model._epochs_done >= 1 and model.num_parameters == 17
    seed = int(d.find_element("id", "data-seed").get_attribute("value"))
    (X, y), _ = make_split("xor", 0.0, seed)
    g = model.graph(X[7:8], y[7:8], loss="bce")
    g.backward()
    assert clicks == sum(1 for n in g.nodes if not n.is_leaf) == 7
    assert set(cards) == {n.name for n in g.nodes}
    for node in g.nodes:
        card = cards[node.name]
        np.testing.assert_array_equal(json.loads(card.get_attribute("data-value")), node.value,
                                      err_msg=node.name)
        if node.grad is not None:
            np.testing.assert_array_equal(json.loads(card.get_attribute("data-grad")), node.grad,
                                          err_msg=node.name)
    np.testing.assert_array_equal(json.loads(cards["x"].get_attribute("data-value")), X[7:8])
    # Training ran on after the page first showed 100 % (until the backprop build paused it),
    # so the model may since have moved a point across the boundary: the page and the
    # downloaded model must agree on the paused state, whatever it is.
    wait_for("the page at the paused epoch", lambda: int(text(d, "epoch")) == model._epochs_done)
    assert text(d, "train-acc") == f"{100 * model.evaluate(X, y)['accuracy']:.1f} %"
    # No script error on the page (the refused width's 400 is the one expected failure).
    logs = [e for e in d.get_log("browser") if e["level"] == "SEVERE"
            and "status of 400" not in e["message"]]
    assert not logs, logs
