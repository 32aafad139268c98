"""Progress output of fit / evaluate: verbose 0, 1 and 2, on a terminal and in a log file."""
import io
import pathlib
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from hilayers import Sequential, callbacks, layers

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _model():
    model = Sequential([layers.Dense(1, input_shape=(1,))])
    model.compile("sgd", "mse", metrics=["mae"])
    return model


def _data(n=40):
    x = np.linspace(-1, 1, n).reshape(-1, 1).astype(np.float32)
    return x, 2 * x


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_verbose_0_prints_nothing(capsys):
    x, y = _data()
    model = _model()
    model.fit(x, y, batch_size=4, epochs=2, verbose=0, validation_data=(x, y))
    model.evaluate(x, y, verbose=0)
    model.predict(x)
    assert capsys.readouterr() == ("", "")


def test_verbose_2_prints_one_line_per_epoch(capsys):
    x, y = _data()
    _model().fit(x, y, batch_size=4, epochs=3, verbose=2, validation_data=(x, y))
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    for epoch, line in enumerate(lines, 1):
        assert line.startswith(f"Epoch {epoch}/3 - ") and line.count("s - loss: ") == 1
        assert " - mae: " in line and " - val_loss: " in line and " - val_mae: " in line


def test_verbose_1_on_a_terminal_shows_a_bar_with_rate_eta_and_live_figures():
    x, y = _data()
    stream = Terminal()
    _model().fit(x, y, batch_size=4, epochs=2, verbose=0, validation_data=(x, y),
                 callbacks=[callbacks.ProgbarLogger(verbose=1, file=stream)])
    text = stream.getvalue()
    finals = [part for part in text.replace("\r", "\n").splitlines() if "10/10" in part]
    assert finals, text
    final = finals[-1]
    # tqdm's bar: batches done, elapsed<remaining, rate; then the running figures.
    assert final.startswith("Epoch 2/2") and "batch/s" in final and "<00:00" in final
    assert "loss: " in final and "mae: " in final and "val_" not in final
    # The validation figures follow on a line of their own, once per epoch.
    val_lines = [line for line in text.splitlines() if line.startswith("  val_loss: ")]
    assert len(val_lines) == 2 and " - val_mae: " in val_lines[0]


def test_verbose_1_without_a_terminal_writes_one_line_per_epoch(capsys):
    x, y = _data()
    _model().fit(x, y, batch_size=4, epochs=2, verbose=1)
    out = capsys.readouterr().out       # pytest's capture is not a terminal
    assert "\r" not in out
    lines = out.splitlines()
    assert len(lines) == 2 and lines[1].startswith("Epoch 2/2 - ") and "loss: " in lines[1]


def test_a_log_file_gets_one_line_per_epoch_not_a_redraw_per_batch(tmp_path):
    """A real program with its standard output redirected to a file, as a CI job or
    `python train.py > train.log` has it: 500 batches per epoch, still one line per epoch."""
    script = textwrap.dedent("""
        import numpy as np
        from hilayers import Sequential, layers
        model = Sequential([layers.Dense(1, input_shape=(1,))])
        model.compile("sgd", "mse")
        x = np.ones((1000, 1), np.float32)
        model.fit(x, x, batch_size=2, epochs=3)
        model.evaluate(x, x, batch_size=100)
    """)
    log = tmp_path / "train.log"
    with open(log, "w") as handle:
        done = subprocess.run([sys.executable, "-c", script], stdout=handle,
                              stderr=subprocess.PIPE, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "\r" not in done.stderr          # no bar went to stderr either
    text = log.read_text()
    assert "\r" not in text
    lines = text.splitlines()
    assert [line.split(" - ")[0] for line in lines[:3]] == ["Epoch 1/3", "Epoch 2/3",
                                                            "Epoch 3/3"]
    assert len(lines) == 4 and lines[3].startswith("loss: ")


def test_evaluate_verbose_prints_its_results_once(capsys):
    x, y = _data()
    model = _model()
    loss, mae = model.evaluate(x, y, batch_size=4, verbose=1)
    out = capsys.readouterr().out
    match = re.fullmatch(r"loss: (\S+) - mae: (\S+)\n", out)
    assert match, out
    assert float(match[1]) == pytest.approx(loss, rel=1e-3, abs=1e-4)
    assert float(match[2]) == pytest.approx(mae, rel=1e-3, abs=1e-4)
