"""A real TensorBoard server shows what the TensorBoard callback wrote, in headless Chromium.

The test trains a small model with the callback, starts ``tensorboard`` on 127.0.0.1 (a free
port it picks itself), and opens its scalars and graphs pages in Chromium driven by
selenium. It checks that the charts of ``epoch_loss`` (training and validation) and the
model's graph (its layer scopes) are on screen, and that the server hands out the values
the model logged. Screenshots are saved to ``test-artifacts/tensorboard/`` (or
``$HILAYERS_TEST_ARTIFACTS/tensorboard/``).

Needs Debian's ``chromium`` and ``chromium-driver`` (``.ci/run`` installs them); without them
the test is skipped on a developer's machine and fails under CI.
"""
import json
import os
import pathlib
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.request

import numpy as np
import pytest

from hilayers import Sequential, layers
from hilayers.callbacks import TensorBoard

pytestmark = pytest.mark.browser

ROOT = pathlib.Path(__file__).resolve().parents[2]
ARTIFACTS = pathlib.Path(os.environ.get("HILAYERS_TEST_ARTIFACTS", ROOT / "test-artifacts"))
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                  "--window-size=1400,1000"]
# Text of the page, shadow DOMs included (TensorBoard is built of web components), without
# the contents of <style>, <script> and <noscript>.
PAGE_TEXT = """
const skip = new Set(["STYLE", "SCRIPT", "NOSCRIPT", "TEMPLATE"]);
function walk(node, out) {
  if (node.nodeType === Node.TEXT_NODE) { out.push(node.textContent); return out; }
  if (node.nodeType === Node.ELEMENT_NODE && skip.has(node.tagName)) { return out; }
  if (node.shadowRoot) { walk(node.shadowRoot, out); }
  for (const child of node.childNodes) { walk(child, out); }
  return out;
}
return walk(document.body, []).join(" ").replace(/\\s+/g, " ");
"""
# How many elements of a tag the page holds, shadow DOMs included.
COUNT_TAG = """
const wanted = arguments[0];
function count(node) {
  let n = node.nodeType === Node.ELEMENT_NODE && node.localName === wanted ? 1 : 0;
  if (node.shadowRoot) { n += count(node.shadowRoot); }
  for (const child of node.children || []) { n += count(child); }
  return n;
}
return count(document.documentElement);
"""


def _executable(*names):
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def browser_paths():
    chromium = _executable("chromium", "chromium-browser")
    driver = _executable("chromedriver")
    if chromium and driver:
        return chromium, driver
    message = ("Chromium and its driver are needed: apt-get install -y chromium "
               "chromium-driver (.ci/run installs them).")
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="module")
def training_logs(tmp_path_factory):
    """Event files of a short training run with validation, and its History."""
    log_dir = tmp_path_factory.mktemp("tensorboard_logs")
    model = Sequential([layers.Dense(8, activation="relu", input_shape=(4,), name="hidden"),
                        layers.Dense(3, activation="softmax", name="probs")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 4)).astype(np.float32)
    y = np.argmax(x[:, :3], axis=1)
    history = model.fit(x, y, epochs=4, batch_size=16, validation_split=0.25, verbose=0,
                        callbacks=[TensorBoard(log_dir, histogram_freq=1)])
    return log_dir, history


def _read_lines(stream, lines):
    for line in stream:
        lines.put(line)


@pytest.fixture(scope="module")
def tensorboard_url(training_logs):
    log_dir, _ = training_logs
    command = [sys.executable, "-m", "tensorboard.main", "--logdir", str(log_dir),
               "--host", "127.0.0.1", "--port", "0", "--reload_interval", "1"]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
    lines, seen = queue.Queue(), []
    threading.Thread(target=_read_lines, args=(server.stdout, lines), daemon=True).start()
    deadline, url = time.monotonic() + 90, None
    try:
        while url is None and time.monotonic() < deadline and server.poll() is None:
            try:
                line = lines.get(timeout=1)
            except queue.Empty:
                continue
            seen.append(line)
            match = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
            url = match.group(1) if match else None
        if url is None:
            pytest.fail("TensorBoard did not start; its output:\n" + "".join(seen),
                        pytrace=False)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="module")
def browser(browser_paths, tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    chromium, driver = browser_paths
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium_profile')}")
    session = webdriver.Chrome(options=options, service=Service(driver))
    session.set_page_load_timeout(60)
    try:
        yield session
    finally:
        session.quit()


def _wait_for(browser, condition, what, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = browser.execute_script(PAGE_TEXT)
        if condition(text):
            return text
        time.sleep(0.5)
    pytest.fail(f"TensorBoard did not show {what} within {timeout} s; the page said: "
                f"{text[:2000]}", pytrace=False)


def _screenshot(browser, name):
    folder = ARTIFACTS / "tensorboard"
    folder.mkdir(parents=True, exist_ok=True)
    time.sleep(1.0)                    # let the charts finish drawing
    path = folder / name
    assert browser.save_screenshot(str(path)), f"could not save {path}"
    return path


def test_server_hands_out_the_logged_values(tensorboard_url, training_logs):
    _, history = training_logs
    query = "data/plugin/scalars/scalars?run={}&tag=epoch_loss"
    for run, key in (("train", "loss"), ("validation", "val_loss")):
        with urllib.request.urlopen(tensorboard_url + query.format(run), timeout=30) as reply:
            points = json.load(reply)
        assert [(step, pytest.approx(value)) for _, step, value in points] == [
            (epoch, value) for epoch, value in enumerate(history.history[key])]


def test_scalars_page_shows_the_loss_charts(browser, tensorboard_url):
    browser.get(tensorboard_url + "#scalars&tagFilter=epoch_loss")
    text = _wait_for(browser, lambda t: "epoch_loss" in t and "validation" in t,
                     "the epoch_loss chart with its validation run")
    assert "train" in text
    assert "No scalar data was found" not in text
    # The chart was drawn: line charts are SVG in the scalars dashboard.
    assert browser.execute_script(COUNT_TAG, "svg") > 0
    path = _screenshot(browser, "scalars.png")
    assert path.stat().st_size > 10_000


def test_graphs_page_shows_the_model_graph(browser, tensorboard_url):
    browser.get(tensorboard_url + "#graphs&run=train")
    text = _wait_for(browser, lambda t: all(name in t for name in ("hidden", "probs",
                                                                    "training")),
                     "the model's layers and its training step in the graph")
    assert "Main Graph" in text
    assert browser.execute_script(COUNT_TAG, "tf-graph") == 1
    path = _screenshot(browser, "graph.png")
    assert path.stat().st_size > 10_000
