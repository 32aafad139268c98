"""A griffe extension for the API reference, adapting hilayers docstrings to what griffe's
Google-style parser and Markdown expect. Loaded by ``mkdocs.yml`` (plugins -> mkdocstrings ->
extensions).

* hilayers heads its doctests with ``Example:`` (one example, as Keras and Chainer write it);
  griffe knows only ``Examples:``, and would render the ``>>>`` lines as prose.
* Cross-references are written in Sphinx's roles (``:class:`Dataset```, ``:func:`~x.y```),
  which Markdown shows literally; they become code spans (``Dataset``, ``y``).
"""
import re

import griffe

_EXAMPLE_HEADING = re.compile(r"^(\s*)Example:\s*$", re.MULTILINE)
_SPHINX_ROLE = re.compile(r":(?:func|class|meth|attr|mod|data|exc|obj):`(~?)([^`]+)`")


def _code_span(match):
    target = match.group(2)
    return f"`{target.rsplit('.', 1)[-1] if match.group(1) else target}`"


class ExampleSections(griffe.Extension):
    """Rewrite ``Example:`` headings and Sphinx roles before docstrings are parsed."""

    def on_instance(self, *, obj, **kwargs):
        docstring = obj.docstring
        if docstring is None:
            return
        text = _EXAMPLE_HEADING.sub(r"\1Examples:", docstring.value)
        docstring.value = _SPHINX_ROLE.sub(_code_span, text)
