"""benchmarks/pipeline.py still runs (tiny sizes; no timing is asserted)."""
import importlib.util
import pathlib

BENCHMARK = pathlib.Path(__file__).resolve().parents[2] / "benchmarks" / "pipeline.py"


def test_the_pipeline_benchmark_runs(capsys, monkeypatch):
    spec = importlib.util.spec_from_file_location("pipeline_benchmark", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "pipeline_overhead", lambda: 1.0)
    figures = module.main(["--batches", "3", "--batch-size", "2", "--map-ms", "0.1",
                           "--step-ms", "0.1", "--threads", "2", "--repeats", "1"])
    assert [row["config"] for row in figures["configs"]] == [
        "plain", "prefetch", "parallel map", "parallel+prefetch"]
    assert "time/slower" in capsys.readouterr().out
