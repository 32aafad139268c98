"""Everything the README shows runs: its Python blocks and its ``hilayers`` commands.

The blocks run in the README's order, from a temporary folder laid out as a developer's
checkout is (the project folder, with ``../shared/datasets/mnist`` beside it), so the
relative paths the README uses work unchanged. The image files its ``hilayers predict`` line
names are made there first from MNIST test digits, one drawn dark on light paper and large.
The first block's ``pip install`` setup commands are what ``.ci/run`` itself runs; they are
checked by CI, not here.
"""
import contextlib
import io
import pathlib
import shlex

import numpy as np
import pytest

from hilayers import backend as K
from hilayers import cli

from .applications.mnist_data import DATA, load, needs_mnist
from .test_docs_examples import code_blocks

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def _make_images(folder):
    """``digit.png``: MNIST's first test digit (a 7) as it is; ``photo_of_a_digit.jpg``: its
    second (a 2), four times larger, grey ink on light paper, off-centre in a wide frame."""
    Image = pytest.importorskip("PIL.Image", reason="Pillow is needed to write test images")
    _, (x_test, y_test) = load()
    Image.fromarray(x_test[0]).save(folder / "digit.png")
    big = np.asarray(Image.fromarray(x_test[1]).resize((112, 112)), dtype=np.float64)
    page = np.full((150, 260), 230.0)
    page[20:132, 30:142] = 230.0 - big * (200.0 / 255.0)
    Image.fromarray(page.astype(np.uint8)).convert("RGB").save(
        folder / "photo_of_a_digit.jpg", quality=90)
    return {"digit.png": int(y_test[0]), "photo_of_a_digit.jpg": int(y_test[1])}


def _run_command(line):
    """Run one ``hilayers ...`` line in-process; return (status, stdout)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = cli.main(shlex.split(line)[1:])
    assert status == 0, f"README: {line!r} exited with {status}: {err.getvalue()}"
    return out.getvalue()


@needs_mnist
def test_every_block_of_the_readme_runs(tmp_path, monkeypatch):
    project = tmp_path / "project"
    project.mkdir()
    (tmp_path / "shared" / "datasets").mkdir(parents=True)
    (tmp_path / "shared" / "datasets" / "mnist").symlink_to(DATA, target_is_directory=True)
    labels = _make_images(project)
    monkeypatch.chdir(project)
    K.reset_default_graph()

    namespace, commands, printed = {"__name__": "readme"}, [], []
    blocks = code_blocks(README.read_text(encoding="utf-8"), "README.md")
    assert [b.language for b in blocks].count("python") >= 2
    for block in blocks:
        if block.language == "python":
            code = compile("\n" * (block.line - 1) + block.source, str(README), "exec")
            with contextlib.redirect_stdout(io.StringIO()) as out:
                exec(code, namespace)  # noqa: S102 - the README's own example
            printed.append(out.getvalue())
        elif block.language == "bash":
            for line in block.source.splitlines():
                line = line.split("#")[0].strip()
                if line.startswith("hilayers "):
                    commands.append(line)
                    printed.append(_run_command(line))
                elif line:
                    assert line.startswith("pip install -e"), f"README: untested line {line!r}"
    K.reset_default_graph()

    text = "\n".join(printed)
    # The pretrained model reads the first three test digits (7, 2, 1).
    assert [int(w) for w in text.split("digit ")[1:4] for w in [w.split()[0]]] == [7, 2, 1]
    for name, label in labels.items():
        assert f"{name}: {label} (" in text, text
    assert "test accuracy 99." in text                      # hilayers evaluate lenet5
    assert float(text.split("test accuracy after one epoch: ")[1].split()[0]) > 0.95
    assert "Total params: 61,706" in text                    # hilayers summary lenet5.h5
    assert {c.split()[1] for c in commands} == {"predict", "evaluate", "info", "summary"}
