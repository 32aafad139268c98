"""The documentation site builds with ``mkdocs build --strict`` (any warning fails), every page
is reachable from the navigation, and the API reference is generated from the docstrings."""
import os
import pathlib
import subprocess
import sys

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def nav_pages(entries):
    """The Markdown files named in a MkDocs ``nav`` (nested lists of {title: page})."""
    for entry in entries:
        values = entry.values() if isinstance(entry, dict) else [entry]
        for value in values:
            if isinstance(value, list):
                yield from nav_pages(value)
            elif isinstance(value, str) and value.endswith(".md"):
                yield value


def load_config():
    # mkdocs.yml holds no custom YAML tags, so the safe loader reads it.
    return yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))


def test_every_page_is_in_the_navigation_and_every_entry_exists():
    listed = list(nav_pages(load_config()["nav"]))
    pages = sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md"))
    assert sorted(set(listed)) == sorted(listed), "a page is listed twice in mkdocs.yml's nav"
    missing_files = sorted(set(listed) - set(pages))
    assert not missing_files, f"mkdocs.yml's nav names pages that do not exist: {missing_files}"
    orphans = sorted(set(pages) - set(listed))
    assert not orphans, (f"pages not reachable from mkdocs.yml's nav: {orphans}; add them to "
                         "the nav")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert result.returncode == 0, ("mkdocs build --strict failed:\n" + result.stdout
                                    + result.stderr)
    return out


def test_site_builds_strictly_with_every_page(site):
    for page in nav_pages(load_config()["nav"]):
        html = site / (page[:-len(".md")] + "/index.html" if page != "index.md"
                       else "index.html")
        assert html.is_file(), f"{page} was not built"


def test_api_reference_comes_from_the_docstrings(site):
    summary = (site / "api" / "summary" / "index.html").read_text(encoding="utf-8")
    assert "FileWriter" in summary and "Write one number under" in summary
    callbacks = (site / "api" / "callbacks" / "index.html").read_text(encoding="utf-8")
    assert "TensorBoard" in callbacks and "histogram_freq" in callbacks
    backend = (site / "api" / "backend" / "index.html").read_text(encoding="utf-8")
    assert "placeholder" in backend and "gradients" in backend
