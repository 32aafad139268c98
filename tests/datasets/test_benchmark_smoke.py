"""benchmarks/datasets.py still runs (on generated MNIST-shaped files; no timing is asserted)."""
import importlib.util
import json
import pathlib

from .helpers import fake_idx_dataset

BENCHMARK = pathlib.Path(__file__).resolve().parents[2] / "benchmarks" / "datasets.py"


def test_the_datasets_benchmark_runs(tmp_path, capsys):
    _, files = fake_idx_dataset()
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    spec = importlib.util.spec_from_file_location("datasets_benchmark", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / "figures.json"
    figures = module.main(["--repeats", "1", "--data", str(tmp_path), "--json", str(out)])
    assert sorted(figures["per_file_s"]) == sorted(files)
    assert round(figures["megabytes"], 1) == 55.0            # 70000 images and labels
    assert json.loads(out.read_text())["megabytes"] == figures["megabytes"]
    assert f"MNIST load_data from {tmp_path}" in capsys.readouterr().out
