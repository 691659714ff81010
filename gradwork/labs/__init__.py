"""The course labs: each runs an experiment with the framework and writes a report.

Every lab is one module with one shape (``STYLE.md`` rule 8):

- ``Config``: a dataclass, each field commented; the command line offers each field as a flag,
  and ``quick=True`` (``--quick``) shrinks the run to seconds;
- ``run(cfg) -> Result``: trains and measures, seeded and deterministic; ``Result.summary()`` is
  the text the command line prints;
- ``report(result, out_dir)``: writes Markdown, PNG plots and JSON metrics with
  :mod:`gradwork.labs.report`.

A lab imports models and the framework, never another lab. ``registry.LABS`` lists them;
``gradwork lab list`` and ``gradwork lab run NAME`` drive them.
"""

from gradwork.labs import registry
from gradwork.labs.registry import names

__all__ = ["names", "registry"]
