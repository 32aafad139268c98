"""TF1-style summaries and FileWriter, read back with TensorBoard's own EventAccumulator."""
import pathlib
import sys

import numpy as np
import pytest

from hilayers import backend as K
from hilayers import summary
from hilayers.summary.protos import histogram_proto, parse_summary, scalar_value

from .events import read_events

ROOT = pathlib.Path(__file__).resolve().parents[2]


# -- protos --------------------------------------------------------------------------------------
def test_histogram_proto_counts_and_moments():
    values = np.array([-1.0, 0.0, 0.5, 2.0, 2.0, 3.0])
    proto = histogram_proto(values, bins=4)
    assert (proto.min, proto.max, proto.num) == (-1.0, 3.0, 6.0)
    assert proto.sum == pytest.approx(values.sum())
    assert proto.sum_squares == pytest.approx(np.sum(values ** 2))
    assert list(proto.bucket_limit) == [0.0, 1.0, 2.0, 3.0]
    # numpy's convention: right edges are open except the last one.
    assert list(proto.bucket) == [1.0, 2.0, 0.0, 3.0]


def test_histogram_of_equal_values_is_one_bucket():
    proto = histogram_proto(np.full((2, 3), 7.0))
    assert list(proto.bucket) == [6.0] and list(proto.bucket_limit) == [7.0]


@pytest.mark.parametrize("values, bins, message", [
    (np.array([1.0, np.nan, np.inf]), 10, "2 of 3 values are NaN or infinite"),
    (np.zeros(0), 10, "received no values"),
    (np.ones(3), 0, "bins must be a positive integer; received 0"),
])
def test_histogram_proto_errors(values, bins, message):
    with pytest.raises(ValueError, match=message):
        histogram_proto(values, bins, tag="w")


def test_scalar_value_errors():
    with pytest.raises(ValueError, match=r"expected one number; received an array of shape "
                                         r"\(2,\)"):
        scalar_value("loss", [1.0, 2.0])
    with pytest.raises(TypeError, match="expected a number"):
        scalar_value("loss", "high")
    with pytest.raises(TypeError, match="tag must be a string"):
        scalar_value(3, 1.0)
    with pytest.raises(ValueError, match="must not be empty"):
        scalar_value("", 1.0)


# -- graph_def -------------------------------------------------------------------------------------
def test_graph_def_nodes_inputs_and_attributes():
    with K.name_scope("model"):
        x = K.placeholder((None, 3), name="x")
        w = K.variable(np.ones((3, 2), np.float32), name="w")
        y = K.sum(x @ w, axis=1, name="total")
    nodes = {n.name: n for n in summary.graph_def(K.get_default_graph()).node}
    assert set(nodes) == {"model/x", "model/w", "model/MatMul", "model/total"}
    assert list(nodes["model/MatMul"].input) == ["model/x", "model/w"]
    assert nodes["model/total"].op == "Sum"
    assert list(nodes["model/total"].attr["axis"].list.i) == [1]
    assert nodes["model/total"].attr["keepdims"].b is False
    shape = nodes["model/MatMul"].attr["_output_shapes"].list.shape[0]
    assert [d.size for d in shape.dim] == [-1, 2]
    from tensorboard.compat.proto import types_pb2
    assert nodes["model/x"].attr["T"].type == types_pb2.DT_FLOAT
    assert [d.size for d in nodes["model/x"].attr["shape"].shape.dim] == [-1, 3]
    assert y.shape == (None,)


def test_graph_def_of_outputs_keeps_only_their_ancestors():
    a = K.placeholder((), name="a")
    b = K.square(a, name="b")
    K.exp(a, name="unrelated")
    names = [n.name for n in summary.graph_def(K.get_default_graph(), outputs=[b]).node]
    assert names == ["a", "b"]


def test_graph_def_multi_output_inputs_are_named_with_their_index():
    x = K.placeholder((4, 6), name="x")
    parts = K.split(x, 2, axis=1)
    K.add(parts[0], parts[1], name="both")
    nodes = {n.name: n for n in summary.graph_def(K.get_default_graph()).node}
    split_name = parts[0].node.name
    assert list(nodes["both"].input) == [split_name, f"{split_name}:1"]


def test_graph_def_rejects_what_is_not_a_graph():
    with pytest.raises(TypeError, match="expects a hilayers Graph"):
        summary.graph_def("graph")
    other = K.Graph()
    with other.as_default():
        t = K.placeholder(())
    with pytest.raises(TypeError, match="outputs must be tensors of the given graph"):
        summary.graph_def(K.get_default_graph(), outputs=[t])


# -- summary ops -----------------------------------------------------------------------------------
def test_summary_ops_compute_their_values_in_a_session():
    x = K.placeholder((None,), name="x")
    with K.name_scope("stats"):
        mean = summary.scalar("mean", K.mean(x))
        spread = summary.histogram("values", x, bins=2)
    merged = summary.merge_all()
    data = np.array([1.0, 2.0, 6.0], np.float32)
    values = parse_summary(K.Session().run(merged, {x: data})).value
    assert [v.tag for v in values] == ["stats/mean", "stats/values"]
    assert values[0].simple_value == pytest.approx(3.0)
    assert (values[1].histo.min, values[1].histo.max, values[1].histo.num) == (1.0, 6.0, 3.0)
    assert list(values[1].histo.bucket) == [2.0, 1.0]
    # Each one alone runs too, and the merged one holds exactly their values.
    assert parse_summary(K.Session().run(mean, {x: data})).value[0].tag == "stats/mean"
    assert len(parse_summary(K.Session().run(spread, {x: data})).value) == 1


def test_tag_is_the_scoped_name_even_when_the_node_name_is_taken():
    loss = K.square(K.variable(2.0), name="loss")
    node = summary.scalar("loss", loss)
    assert node.node.name == "loss_1"
    assert parse_summary(K.Session().run(node)).value[0].tag == "loss"


def test_summaries_left_out_of_merge_all_and_graphs_without_summaries():
    assert summary.merge_all() is None
    summary.scalar("hidden", K.constant(1.0), collections=[])
    assert summary.merge_all() is None
    shown = summary.scalar("shown", K.constant(2.0))
    merged = summary.merge([shown])
    assert [v.tag for v in parse_summary(K.Session().run(merged)).value] == ["shown"]


def test_summary_op_errors_at_build_time():
    with pytest.raises(K.ShapeError, match=r"ScalarSummary: input .* has shape \(3,\); "
                                           r"expected a scalar .* K.mean\(x\)"):
        summary.scalar("v", K.placeholder((3,)))
    with pytest.raises(ValueError, match="bins must be a positive integer; received 0"):
        summary.histogram("h", K.placeholder((3,)), bins=0)
    with pytest.raises(K.DTypeError, match="MergeSummary: input .* is not a summary"):
        summary.merge([K.constant(1.0)])
    with pytest.raises(ValueError, match="received no summaries"):
        summary.merge([])


def test_histogram_of_nan_fails_when_run_naming_the_tag():
    x = K.placeholder((None,))
    h = summary.histogram("activations", x)
    with pytest.raises(ValueError, match="Histogram 'activations': 1 of 2 values are NaN"):
        K.Session().run(h, {x: [1.0, np.nan]})


# -- FileWriter --------------------------------------------------------------------------------------
def test_file_writer_round_trip_through_event_accumulator(tmp_path):
    x = K.placeholder((None,), name="x")
    loss = K.mean(K.square(x), name="loss")
    summary.scalar("loss", loss)
    summary.histogram("x", x)
    merged = summary.merge_all()
    with summary.FileWriter(tmp_path, graph=K.get_default_graph()) as writer:
        for step in range(3):
            data = np.arange(4, dtype=np.float32) + step
            writer.add_summary(K.Session().run(merged, {x: data}), global_step=step)
        writer.add_scalar("manual", 0.25, 7)
    events = read_events(tmp_path)
    losses = [(e.step, e.value) for e in events.Scalars("loss")]
    assert losses == [(s, pytest.approx(np.mean((np.arange(4) + s) ** 2))) for s in range(3)]
    assert [(e.step, e.value) for e in events.Scalars("manual")] == [(7, 0.25)]
    histograms = events.Histograms("x")
    assert [(h.step, h.histogram_value.min, h.histogram_value.max) for h in histograms] == [
        (0, 0.0, 3.0), (1, 1.0, 4.0), (2, 2.0, 5.0)]
    graph_nodes = {n.name: n.op for n in events.Graph().node}
    assert graph_nodes["loss"] == "Mean" and graph_nodes["x"] == "Placeholder"
    assert "MergeSummary" in graph_nodes.values()


def test_file_writer_errors(tmp_path):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("keep me")
    with pytest.raises(ValueError, match="is a file; expected a folder"):
        summary.FileWriter(a_file)
    assert a_file.read_text() == "keep me"
    writer = summary.FileWriter(tmp_path / "logs")
    with pytest.raises(TypeError, match="Expected a serialized Summary.*received float"):
        writer.add_summary(1.5)
    with pytest.raises(ValueError, match="global_step must be a whole number >= 0"):
        writer.add_scalar("loss", 1.0, -1)
    with pytest.raises(TypeError, match="global_step must be an integer"):
        writer.add_scalar("loss", 1.0, "first")
    writer.close()
    writer.close()
    with pytest.raises(RuntimeError, match="is closed; create a new one"):
        writer.add_scalar("loss", 1.0, 0)


def test_linear_regression_example_writes_its_graph_and_loss(tmp_path):
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        import linear_regression
    finally:
        sys.path.remove(str(ROOT / "examples"))
    result = linear_regression.main(epochs=5, verbose=False, logdir=str(tmp_path))
    events = read_events(tmp_path)
    losses = [e.value for e in events.Scalars("loss")]
    assert len(losses) == 5 and losses[-1] == pytest.approx(result["loss"], rel=1e-5)
    assert losses[-1] < losses[0]
    assert [h.step for h in events.Histograms("residuals")] == [1, 2, 3, 4, 5]
    nodes = {n.name: n for n in events.Graph().node}
    assert {"x", "y", "a", "b", "loss"} <= set(nodes)
    assert nodes["loss"].op == "Mean"
    assert any(n.op == "Assign" for n in nodes.values())
