"""The ``hilayers`` command: predict, evaluate, info, summary, and its installation."""
import importlib.metadata
import shutil
import subprocess
import sys

import numpy as np
import pytest

from hilayers import cli
from hilayers.applications import LeNet5
from hilayers.image_preprocessing import mnist_digit

from .applications.mnist_data import DATA, load, needs_mnist

Image = pytest.importorskip("PIL.Image", reason="Pillow is needed to write test images")

#: Test images with the digits 0 to 9 (the first of each in the MNIST test set).
DIGIT_INDEX = {7: 0, 2: 1, 1: 2, 0: 3, 4: 4, 9: 7, 5: 8, 6: 11, 3: 18, 8: 61}


def _draw(digit, canvas, scale, offset, ink, paper, mode="RGB"):
    """The 28x28 MNIST ``digit`` (white on black) painted with ``ink`` on ``paper``: scaled
    by ``scale`` and put at ``offset`` of a ``canvas`` (width, height) image."""
    side = 28 * scale
    coverage = np.asarray(Image.fromarray(digit).resize((side, side), Image.Resampling.BICUBIC),
                          dtype=np.float64)[..., None] / 255.0
    width, height = canvas
    page = np.empty((height, width, len(paper)))
    page[:] = paper
    left, top = offset
    page[top:top + side, left:left + side] = (np.asarray(ink) * coverage
                                              + np.asarray(paper) * (1 - coverage))
    pixels = np.clip(np.round(page), 0, 255).astype(np.uint8)
    return Image.fromarray(pixels[..., 0] if mode == "L" else pixels, mode=mode)


STYLES = {
    # name: (file suffix, drawing arguments, save arguments)
    "pencil.png": (dict(canvas=(97, 130), scale=3, offset=(5, 31), ink=(30,), paper=(235,),
                        mode="L"), {}),
    "chalk.jpg": (dict(canvas=(201, 150), scale=4, offset=(70, 20), ink=(250, 230, 60),
                       paper=(20, 30, 90)), {"quality": 90}),
    "marker.png": (dict(canvas=(64, 61), scale=2, offset=(4, 2), ink=(0, 0, 0, 255),
                        paper=(0, 0, 0, 0), mode="RGBA"), {}),
    "mnist.png": (dict(canvas=(28, 28), scale=1, offset=(0, 0), ink=(255,), paper=(0,),
                       mode="L"), {}),
}


@pytest.fixture(scope="module")
def digit_files(tmp_path_factory):
    """For each style, ten image files of real MNIST digits: {path: label}."""
    if not DATA.is_dir():
        pytest.skip(f"MNIST not found at {DATA}")
    _, (x_test, y_test) = load()
    folder = tmp_path_factory.mktemp("digits")
    files = {}
    for style, (drawing, saving) in STYLES.items():
        for label, index in DIGIT_INDEX.items():
            assert y_test[index] == label
            path = folder / f"{label}_{style}"
            _draw(x_test[index], **drawing).save(path, **saving)
            files[str(path)] = label
    return files


def _run(capsys, *argv):
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


# -- predict ----------------------------------------------------------------------------------
def test_predict_reads_digits_in_any_size_colour_and_polarity(digit_files, capsys):
    status, out, err = _run(capsys, "predict", *digit_files)
    assert status == 0, err
    lines = out.splitlines()
    assert len(lines) == len(digit_files)
    for line, (path, label) in zip(lines, digit_files.items()):
        name, rest = line.split(": ", 1)
        assert name == path
        digit, probability = rest.split(";")[0].split(" ")
        assert int(digit) == label, line
        assert probability.startswith("(") and probability.endswith("%)")
        assert rest.count("(") == 3                     # the digit and two runners-up


def test_predict_shows_top_digits_as_asked(digit_files, capsys):
    path = next(iter(digit_files))
    status, out, _ = _run(capsys, "predict", "--top", "1", path)
    assert status == 0 and out.startswith(f"{path}: 7 (") and "runners-up" not in out
    status, out, _ = _run(capsys, "predict", "--top", "10", path)
    assert out.count("(") == 10
    status, _, err = _run(capsys, "predict", "--top", "0", path)
    assert status == 2 and "--top must be 1 to 10; received 0" in err


def test_a_file_that_cannot_be_read_is_reported_and_the_others_still_run(digit_files,
                                                                         tmp_path, capsys):
    good = list(digit_files)[:2]
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    truncated = tmp_path / "cut.png"
    truncated.write_bytes(open(good[0], "rb").read()[:60])
    blank = tmp_path / "blank.png"
    Image.new("L", (40, 40), 200).save(blank)
    missing = tmp_path / "missing.jpg"
    status, out, err = _run(capsys, "predict", str(text), good[0], str(missing),
                            str(truncated), str(blank), good[1])
    assert status == 1
    assert [line.split(":")[0] for line in out.splitlines()] == good
    for path in (text, missing, truncated):
        assert f"cannot read {str(path)!r}" in err and "Expected a PNG or JPEG image" in err
    assert "No such file or directory" in err
    assert "no digit found: the image is blank" in err and str(blank) in err


def test_other_image_formats_are_refused(tmp_path, capsys):
    path = tmp_path / "digit.gif"
    Image.new("L", (28, 28), 0).save(path)
    status, _, err = _run(capsys, "predict", str(path))
    assert status == 1 and f"cannot read {str(path)!r}" in err


def test_predict_without_pillow_says_how_to_install_it(monkeypatch, capsys, tmp_path):
    monkeypatch.setitem(sys.modules, "PIL", None)
    status, out, err = _run(capsys, "predict", str(tmp_path / "x.png"))
    assert status == 2 and out == ""
    assert "needs Pillow" in err and "pip install 'hilayers[cli]'" in err


def test_mnist_digit_is_what_mnist_made(digit_files):
    """The normalisation of a real MNIST digit drawn large gives back nearly that digit."""
    _, (x_test, _) = load()
    from hilayers.image_preprocessing import load_image
    for label, index in DIGIT_INDEX.items():
        path = next(p for p, l in digit_files.items() if l == label and "pencil" in p)
        again = mnist_digit(load_image(path)).astype(np.float64)
        original = x_test[index].astype(np.float64)
        # Same place (centre of mass within a pixel) and mostly the same pixels.
        assert np.abs(again - original).mean() < 25, label


def test_mnist_digit_errors():
    from hilayers.image_preprocessing import ImageReadError
    with pytest.raises(ImageReadError, match=r"expected a 2-D grey image; received shape"):
        mnist_digit(np.zeros((4, 4, 3)))
    with pytest.raises(ImageReadError, match="no digit found"):
        mnist_digit(np.full((10, 10), 128.0))


# -- evaluate -----------------------------------------------------------------------------------
@needs_mnist
def test_evaluate_prints_the_test_accuracy(capsys):
    status, out, err = _run(capsys, "evaluate", "lenet5", "--data", str(DATA))
    assert status == 0, err
    line = out.strip().splitlines()[-1]
    assert line.startswith("LeNet-5 (pretrained on MNIST): test accuracy ")
    accuracy = float(line.split("test accuracy ")[1].split("%")[0])
    assert accuracy >= 99.2 and "of 10000 images" in line


def test_evaluate_without_data_says_where_to_point(tmp_path, capsys):
    status, _, err = _run(capsys, "evaluate", "lenet5", "--data", str(tmp_path / "none"))
    assert status == 2 and "hilayers evaluate: error:" in err and "--data DIR" in err


def test_evaluate_knows_only_its_models(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["evaluate", "vgg16"])
    assert info.value.code == 2
    assert "invalid choice: 'vgg16'" in capsys.readouterr().err


# -- info and summary --------------------------------------------------------------------------
def test_info(capsys):
    import h5py
    status, out, _ = _run(capsys, "info")
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == "hilayers 0.1.0"
    assert any(line.startswith("kernel backend: numpy") for line in lines)
    assert any(line.startswith("devices: cpu (") for line in lines)
    assert f"  numpy {np.__version__} (BLAS" in out and f"  h5py {h5py.__version__}" in out
    assert "  tqdm " in out and "  Pillow " in out and "  cupy" in out


def test_summary_of_a_saved_model(tmp_path, capsys):
    path = tmp_path / "lenet5.h5"
    LeNet5(weights=None).save(str(path))
    status, out, _ = _run(capsys, "summary", str(path))
    assert status == 0
    assert 'Model: "lenet5"' in out and "conv1 (Conv2D)" in out and "Total params: 61,706" in out


def test_summary_of_a_weights_file_or_nothing_says_what_is_needed(tmp_path, capsys):
    weights = tmp_path / "weights.h5"
    LeNet5(weights=None).save_weights(str(weights))
    status, _, err = _run(capsys, "summary", str(weights))
    assert status == 2 and "needs a whole model saved with model.save" in err
    status, _, err = _run(capsys, "summary", str(tmp_path / "none.h5"))
    assert status == 2 and "does not exist" in err


# -- the console script ---------------------------------------------------------------------------
def test_the_console_script_is_declared():
    try:
        scripts = importlib.metadata.entry_points(group="console_scripts")
    except TypeError:                                   # Python 3.9
        scripts = importlib.metadata.entry_points()["console_scripts"]
    hilayers = [ep for ep in scripts if ep.name == "hilayers"]
    if not hilayers:
        pytest.skip("hilayers is not installed with its entry points (pip install -e .)")
    assert hilayers[0].value == "hilayers.cli:main"


def test_the_command_runs_as_a_program(digit_files):
    command = shutil.which("hilayers")
    argv = [command] if command else [sys.executable, "-m", "hilayers.cli"]
    path = next(iter(digit_files))
    result = subprocess.run(argv + ["predict", path, "no_such.png"], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 1
    assert result.stdout.startswith(f"{path}: 7 (")
    assert "cannot read 'no_such.png'" in result.stderr
    version = subprocess.run(argv + ["--version"], capture_output=True, text=True, timeout=60)
    assert version.stdout.strip() == "hilayers 0.1.0"
