"""The report of ``benchmarks/run.py``: the table's rows, the targets of issues 7 and 8, the
JSON file and the bar chart of the ratios.

Results are ``{key: {"label", "unit", "hilayers": [figures], "pytorch": [figures]}}``, with
``"error"`` in an entry whose workload failed; every ratio is hilayers' median over
PyTorch's (lower is better).

Example:
    >>> median_ratio({"hilayers": [2.0, 3.0, 4.0], "pytorch": [2.0]})
    1.5
"""
import json
import os
import statistics

#: Targets of issue 7, as the largest allowed ratio hilayers / PyTorch (None: no target),
#: or for dispatch the largest allowed microseconds per op.
TARGETS = {"mlp_epoch": 1.0, "lenet5_epoch": 1.2, "lenet5_inference": 1.0,
           "peak_memory": 1.0}
DISPATCH_TARGET_US = 3.0
#: Issue 8's aim on the GPU: at most this ratio hilayers / PyTorch on every workload.
GPU_TARGET = 1.5


def summary(values):
    """``{median, min, max, runs}`` of a framework's figures, or None when it has none."""
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "runs": list(values)}


def format_figure(value):
    """A figure with three significant digits or so (``'-'`` for None)."""
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}" if value >= 1 else f"{value:.3f}"


def median_ratio(entry):
    """hilayers' median over PyTorch's, or None when either has no figure."""
    h, t = entry.get("hilayers"), entry.get("pytorch")
    if not h or not t:
        return None
    return statistics.median(h) / statistics.median(t)


HEADER = (f"{'workload':<38} {'unit':>4} {'hilayers':>9} {'PyTorch':>9} {'ratio':>6}  "
          f"{'hilayers min-max':>17}  {'PyTorch min-max':>17}")


def row_text(entry, frameworks):
    """One line of the table (the columns of :data:`HEADER`), or the failure of a workload."""
    if "error" in entry:
        return f"{entry['label']:<38} {entry['unit']:>4} FAILED ({entry['error']})"
    h = entry.get("hilayers") or []
    t = entry.get("pytorch") or []
    ratio = median_ratio(entry)
    h_range = f"{format_figure(min(h))}-{format_figure(max(h))}" if h else "-"
    t_range = f"{format_figure(min(t))}-{format_figure(max(t))}" if t else "-"
    return (f"{entry['label']:<38} {entry['unit']:>4} "
            f"{format_figure(statistics.median(h) if h else None):>9} "
            f"{format_figure(statistics.median(t) if t else None):>9} "
            f"{(f'{ratio:.2f}' if ratio is not None else '-'):>6}  {h_range:>17}  "
            f"{t_range:>17}")


def gpu_targets_report(results):
    """Lines judging every workload against issue 8's aim on the GPU (:data:`GPU_TARGET`)."""
    lines = []
    for entry in results.values():
        ratio = median_ratio(entry)
        if "error" in entry:
            lines.append(f"  {entry['label']}: failed, not judged")
        elif ratio is None:
            lines.append(f"  {entry['label']}: not judged (no PyTorch figure)")
        else:
            verdict = "met" if ratio <= GPU_TARGET else "NOT met"
            lines.append(f"  {entry['label']}: ratio {ratio:.2f}, target <= {GPU_TARGET}: "
                         f"{verdict}")
    return lines


def targets_report(results):
    """Lines saying which of issue 7's targets the figures meet."""
    lines = []
    for key, limit in TARGETS.items():
        if key not in results:
            continue
        ratio = median_ratio(results[key])
        if ratio is None:
            lines.append(f"  {results[key]['label']}: target ratio <= {limit}: not judged "
                         "(no PyTorch figure)")
        else:
            verdict = "met" if ratio <= limit else "NOT met"
            lines.append(f"  {results[key]['label']}: ratio {ratio:.2f}, target <= {limit}: "
                         f"{verdict}")
    if "dispatch" in results and results["dispatch"].get("hilayers"):
        us = statistics.median(results["dispatch"]["hilayers"])
        verdict = "met" if us <= DISPATCH_TARGET_US else "NOT met"
        lines.append(f"  5. dispatch per op: {us:.2f} us, target <= {DISPATCH_TARGET_US} us: "
                     f"{verdict}")
    return lines


def write_json(path, results, meta, throughput=None):
    """Write the figures, their summaries and ``meta`` (and workload 8's TFLOP/s) to
    ``path``, through a temporary file so that a run cut short never leaves half a file."""
    payload = {"meta": meta, "results": {}}
    for key, entry in results.items():
        payload["results"][key] = {
            "label": entry["label"], "unit": entry["unit"],
            "ratio": median_ratio(entry),
            "hilayers": summary(entry.get("hilayers")),
            "pytorch": summary(entry.get("pytorch"))}
        if "error" in entry:
            payload["results"][key]["error"] = entry["error"]
    if throughput:
        payload["convnet32_throughput"] = throughput
    with open(path + ".part", "w", encoding="utf-8") as handle:
        json.dump(payload, handle, indent=2)
    os.replace(path + ".part", path)


def write_chart(path, results, title="hilayers vs PyTorch", targets=None):
    """A horizontal bar chart of the ratios, each with its target (``targets``, by key;
    default issue 7's :data:`TARGETS`) as a blue mark; returns a message instead when
    matplotlib is absent or no ratio was measured."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import matplotlib.ticker
    except ImportError:
        return "matplotlib is not installed: no chart (pip install matplotlib)"
    targets = TARGETS if targets is None else targets
    rows = [(e["label"], median_ratio(e), targets.get(k)) for k, e in results.items()]
    rows = [r for r in rows if r[1] is not None]
    if not rows:
        return "no PyTorch figures: no chart of ratios"
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(rows) + 1.2))
    labels = [r[0] for r in rows][::-1]
    ratios = [r[1] for r in rows][::-1]
    colors = ["tab:green" if r <= (t or 1.0) else "tab:red" for _, r, t in rows][::-1]
    ax.barh(labels, ratios, color=colors)
    ax.set_xscale("log")
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.axvline(1.0, color="black", linewidth=1)
    for i, (_, ratio, target) in enumerate(rows[::-1]):
        ax.text(ratio, i, f" {ratio:.2f}", va="center", fontsize=8)
        if target is not None:
            ax.plot([target, target], [i - 0.4, i + 0.4], color="tab:blue", linewidth=2)
    ax.set_xlim(min(ratios + [0.5]) / 1.5, max(ratios + [1.2]) * 1.6)
    ax.set_xlabel("hilayers / PyTorch, ratio of medians\n(log scale; lower is better; "
                  "blue mark: the target)")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return None
