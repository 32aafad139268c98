"""The code in the documentation runs, so the pages stay true to the library.

Every ```python block of every page under ``docs/`` is executed: page by page, blocks in
the order they appear, in one fresh namespace per page, on a fresh default graph, from a
temporary working directory (so examples may write files). That directory is laid out as a
developer's checkout: ``../shared/datasets`` beside it and ``HILAYERS_DATASETS`` both lead to
the shared datasets when they are there, so ``mnist.load_data("../shared/datasets/mnist")``
and ``mnist.load_data()`` read MNIST locally instead of downloading it. A block whose first line starts
with ``>>>`` is run as a doctest in that namespace, so the output it shows is checked too
(``...`` matches anything, whitespace differences are ignored). A block right after the
comment ``<!-- no-test -->`` is an excerpt that cannot run on its own and is skipped.

Error messages point at the page and the line of the Markdown file.
"""
import doctest
import pathlib
import re
from dataclasses import dataclass

import pytest

from hilayers import backend as K
from hilayers.utils import registry

DOCS = pathlib.Path(__file__).resolve().parents[1] / "docs"
SHARED_DATASETS = DOCS.parents[1] / "shared" / "datasets"
#: The least number of runnable blocks some pages must keep (so that examples deleted by
#: mistake are noticed). Every page runs; pages not listed here may have none.
MIN_BLOCKS = {"layers.md": 8, "models.md": 8, "training.md": 10, "engine.md": 2,
              "datasets.md": 2, "data.md": 13, "index.md": 1, "getting_started.md": 5,
              "visualization.md": 6, "backends.md": 3, "writing_a_layer.md": 3,
              "writing_an_op.md": 3, "saving.md": 12}
#: Every Markdown page of the site, as paths relative to docs/ ("api/layers.md").
PAGES = sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md"))
NO_TEST = "<!-- no-test -->"
_OPEN = re.compile(r"^```(\S*)\s*$")


@dataclass
class Block:
    line: int          # 1-based line of the first line of code in the Markdown file
    language: str
    source: str
    skipped: bool


def code_blocks(text, page="page"):
    """The fenced code blocks of a Markdown ``text``, in order.

    Raises:
        ValueError: for a fence that is never closed, naming the page and the line.
    """
    lines = text.splitlines()
    blocks, i = [], 0
    while i < len(lines):
        match = _OPEN.match(lines[i])
        if not match:
            i += 1
            continue
        end = i + 1
        while end < len(lines) and lines[end].strip() != "```":
            end += 1
        if end == len(lines):
            raise ValueError(f"{page}: the code block opened at line {i + 1} is never closed.")
        before = i - 1
        while before >= 0 and not lines[before].strip():
            before -= 1
        skipped = before >= 0 and lines[before].strip() == NO_TEST
        blocks.append(Block(i + 2, match.group(1), "\n".join(lines[i + 1:end]) + "\n",
                            skipped))
        i = end + 1
    return blocks


def runnable_blocks(page):
    text = (DOCS / page).read_text(encoding="utf-8")
    return [b for b in code_blocks(text, page) if b.language == "python" and not b.skipped]


def _run_doctest(block, namespace, path):
    parser = doctest.DocTestParser()
    test = parser.get_doctest(block.source, namespace, f"{path.name}:{block.line}", str(path),
                              block.line - 1)
    test.globs = namespace      # DocTest copies the globals; names must reach later blocks
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    report = []
    result = runner.run(test, out=report.append, clear_globs=False)
    if result.failed:
        pytest.fail(f"docs/{path.name}, doctest block at line {block.line}:\n"
                    + "".join(report), pytrace=False)


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """A fresh default graph, an empty working directory with the shared datasets beside it,
    and custom objects registered by a page removed afterwards."""
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.chdir(project)
    monkeypatch.setattr(registry, "_CUSTOM", dict(registry._CUSTOM))
    if SHARED_DATASETS.is_dir():
        monkeypatch.setenv("HILAYERS_DATASETS", str(SHARED_DATASETS))
        (tmp_path / "shared").mkdir()
        (tmp_path / "shared" / "datasets").symlink_to(SHARED_DATASETS, target_is_directory=True)
    K.reset_default_graph()
    yield
    K.reset_default_graph()


@pytest.mark.parametrize("page", PAGES)
def test_page_examples_run(page, isolated):
    path = DOCS / page
    namespace = {"__name__": f"docs_{path.stem}"}
    for block in runnable_blocks(page):
        if block.source.lstrip().startswith(">>>"):
            _run_doctest(block, namespace, path)
        else:
            # Blank lines in front keep the line numbers of tracebacks those of the page.
            code = compile("\n" * (block.line - 1) + block.source, str(path), "exec")
            exec(code, namespace)  # noqa: S102 - the documentation's own examples


@pytest.mark.parametrize("page", sorted(MIN_BLOCKS))
def test_pages_keep_their_examples(page):
    count = len(runnable_blocks(page))
    assert count >= MIN_BLOCKS[page], (f"docs/{page} has {count} runnable python blocks; "
                                       f"expected at least {MIN_BLOCKS[page]}.")


@pytest.mark.parametrize("page", PAGES)
def test_no_test_markers_precede_code_blocks(page):
    """A marker that is not right before a code block would skip nothing: catch it."""
    lines = (DOCS / page).read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        if line.strip() != NO_TEST:
            continue
        following = next((l for l in lines[number:] if l.strip()), "")
        assert _OPEN.match(following), (f"docs/{page}:{number}: {NO_TEST} must be followed by "
                                        "a code block.")


def test_code_blocks_parser():
    text = "intro\n\n```python\na = 1\n```\n\n<!-- no-test -->\n```python\nb\n```\n```bash\nls\n```\n"
    blocks = code_blocks(text)
    assert [(b.line, b.language, b.source, b.skipped) for b in blocks] == [
        (4, "python", "a = 1\n", False), (9, "python", "b\n", True), (12, "bash", "ls\n", False)]
    with pytest.raises(ValueError, match="line 1 is never closed"):
        code_blocks("```python\nx = 1\n")
