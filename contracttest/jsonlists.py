"""How ``jsontree.Reader`` reads a JSON array: repeated elements, or a nested list written
without its wrapper (``"devices": ["hd"]`` for ``{"devices": {"device": ["hd"]}}``), an
array where the XSD has one element, arrays in arrays and nulls, each noted."""

from __future__ import annotations

from contracttest.jsonmodel import Kind, kinds_of
from contracttest.jsonscalars import Notes
from contracttest.rules import Severity
from contracttest.schema import Child, Schema


class Lists(Notes):
    """The array half of ``jsontree.Reader`` (which provides the rest)."""

    schema: Schema | None

    def _child(
        self,
        out: list[str],
        key: str,
        item: object,
        spec: Child | None,
        kind: Kind,
        where: str,
        depth: int,
    ) -> None:
        raise NotImplementedError

    def _list(
        self,
        out: list[str],
        key: str,
        items: list[object],
        spec: Child | None,
        kind: Kind,
        where: str,
        depth: int,
    ) -> None:
        wrapper = self._wrapped_item(spec)
        if wrapper is not None:
            self.note(
                "json.shape",
                where,
                "bare-list",
                f"{key} is a bare array; the engine keeps a nested list's wrapper",
                expected=f'{{"{key}": {{"{wrapper.name}": [...]}}}}',
                received=f'{{"{key}": [...]}}',
                hint=f'write {{"{key}": {{"{wrapper.name}": [...]}}}}',
            )
            out.append(f"<{key}>")
            inner = self.schema.complex_types.get(spec.type) if self.schema and spec else None
            inner_kind = (
                kinds_of(self.schema, inner).get(wrapper.name, Kind.STRING)
                if self.schema and inner
                else Kind.STRING
            )
            for index, item in enumerate(items, 1):
                self._child(
                    out,
                    wrapper.name,
                    item,
                    wrapper,
                    inner_kind,
                    f"{where}/{wrapper.name}[{index}]",
                    depth + 1,
                )
            out.append(f"</{key}>")
            return
        if spec is not None and spec.max_occurs == 1:
            self.note(
                "json.shape",
                where,
                "array",
                f"{key} is an array; the XSD has one <{key}> here",
                expected="one value or object",
                received=f"an array of {len(items)}",
            )
        for index, item in enumerate(items, 1):
            if isinstance(item, list):
                self.note(
                    "json.shape",
                    where,
                    "nested-array",
                    f"{key} holds an array in an array; the engine never writes one",
                    expected="objects or values",
                    received="an array",
                )
                continue
            if item is None:
                self.note(
                    "json.null",
                    where,
                    "null",
                    f"{key} holds null; engines write no nulls",
                    received="null",
                    severity=Severity.WARNING if self.request else None,
                )
                continue
            self._child(out, key, item, spec, kind, f"{where}[{index}]", depth)

    def _wrapped_item(self, spec: Child | None) -> Child | None:
        """The repeated element of a nested list's wrapper type (``Disks``: ``disk``)."""
        if spec is None or spec.max_occurs != 1 or self.schema is None:
            return None
        wrapper = self.schema.complex_types.get(spec.type)
        if wrapper is None or len(wrapper.children) != 1:
            return None
        (only,) = wrapper.children.values()
        return only if only.max_occurs != 1 else None
