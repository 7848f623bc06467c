"""The comparison of two responses by meaning, for ``contracttest verify`` (and, per
exchange, for the plugin): ``Comparer(masks, schema).compare(recorded, received)`` gives
the ``Difference`` values, each breaking or compatible.

* ``masks``: what is noise (headers, XSD types such as ``xs:dateTime``, element paths);
* ``ids``: the recorded ids of entities made again on the new engine, and their new ids;
* ``tree``: two XML documents compared by meaning;
* ``response``: status, headers and bodies.

Nothing here does I/O: responses and a schema go in, values come out.
"""

from __future__ import annotations

from contracttest.compare.ids import IdMap, href_template
from contracttest.compare.masks import Masks
from contracttest.compare.response import Comparer, json_tree
from contracttest.compare.tree import BREAKING, COMPATIBLE, Difference

__all__ = [
    "BREAKING",
    "COMPATIBLE",
    "Comparer",
    "Difference",
    "IdMap",
    "Masks",
    "href_template",
    "json_tree",
]
