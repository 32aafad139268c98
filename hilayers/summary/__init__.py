"""TensorBoard summaries for hilayers graphs, in the style of TensorFlow 1.x's ``tf.summary``.

* :func:`scalar`, :func:`histogram`: summary ops; :func:`merge`, :func:`merge_all` join them.
* :class:`FileWriter`: event files in a log directory, with the graph for TensorBoard's graph
  view (``FileWriter(logdir, graph)``), and the summaries fetched from a session.
* :func:`graph_def`: a graph as a TensorBoard ``GraphDef``.

This package sits right above the engine (it imports ``hilayers.backend`` only) and needs the
optional ``tensorboard`` package (``pip install 'hilayers[viz]'``); TensorFlow is not needed.
Importing it works without ``tensorboard``; using it then raises ``ImportError`` saying what
to install.

Example:
    >>> import tempfile
    >>> from hilayers import backend as K
    >>> from hilayers import summary
    >>> g = K.Graph()
    >>> with g.as_default():
    ...     w = K.variable(3.0, name="w")
    ...     loss = K.square(w, name="loss")
    ...     loss_summary = summary.scalar("loss", loss)   # tag "loss", node "loss_1"
    ...     merged = summary.merge_all()
    >>> writer = summary.FileWriter(tempfile.mkdtemp(), graph=g)
    >>> writer.add_summary(K.Session(g).run(merged), global_step=0)
    >>> writer.close()
"""
from .graph_def import graph_def
from .ops import histogram, merge, merge_all, scalar
from .writer import FileWriter

__all__ = ["FileWriter", "graph_def", "histogram", "merge", "merge_all", "scalar"]
