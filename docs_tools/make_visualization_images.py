"""Remake the pictures of docs/visualization.md from the page's own examples.

Runs the page's Python blocks in a temporary folder (they write logs/, history.png and
two_inputs.png), copies the pictures into docs/img/, then starts TensorBoard on the logs of
the callback example and screenshots its scalars and graph pages with headless Chromium (Debian's chromium and
chromium-driver). Run from the repository root:

    python docs_tools/make_visualization_images.py
"""
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "visualization.md"
IMAGES = ROOT / "docs" / "img"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage",
         "--window-size=1200,760"]


def run_page(folder):
    sys.path.insert(0, str(ROOT))
    from tests.test_docs_examples import code_blocks
    namespace = {"__name__": "visualization_page"}
    os.chdir(folder)
    for block in code_blocks(PAGE.read_text(encoding="utf-8")):
        if block.language == "python" and not block.source.lstrip().startswith(">>>"):
            exec(compile(block.source, str(PAGE), "exec"), namespace)  # noqa: S102


def screenshots(logdir):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    server = subprocess.Popen([sys.executable, "-m", "tensorboard.main", "--logdir",
                               str(logdir), "--host", "127.0.0.1", "--port", "0"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = None
        for line in server.stdout:
            match = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
            if match:
                url = match.group(1)
                break
        options = webdriver.ChromeOptions()
        options.binary_location = shutil.which("chromium")
        for flag in FLAGS + [f"--user-data-dir={tempfile.mkdtemp()}"]:
            options.add_argument(flag)
        browser = webdriver.Chrome(options=options,
                                   service=Service(shutil.which("chromedriver")))
        try:
            for fragment, name in (("#scalars&tagFilter=epoch_", "tensorboard_scalars.png"),
                                   ("#graphs", "tensorboard_graph.png")):
                browser.get(url + fragment)
                time.sleep(8)
                browser.save_screenshot(str(IMAGES / name))
        finally:
            browser.quit()
    finally:
        server.terminate()
        server.wait()


def main():
    IMAGES.mkdir(exist_ok=True)
    folder = pathlib.Path(tempfile.mkdtemp())
    run_page(folder)
    shutil.copy(folder / "history.png", IMAGES / "history.png")
    shutil.copy(folder / "two_inputs.png", IMAGES / "plot_model.png")
    screenshots(folder / "logs" / "run1")
    print("wrote", sorted(p.name for p in IMAGES.iterdir()))


if __name__ == "__main__":
    main()
