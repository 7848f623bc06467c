"""Gather the facts of the oVirt v4 API into ``tools/v4_model.json``.

The facts come from two public sources (names, nesting, types and enumeration values are
facts of the wire format; no text is carried over):

* the ovirtsdk4 Python SDK (4.6.x), generated from the engine's API model: its readers give
  every type's XML child elements and how each is read (text, number, enumeration, nested
  type, list), its writers the element names of list items, its types module the type
  hierarchy and the enumerations, and its services module every service path, the HTTP
  operations on it, their query parameters and action parameters;
* the engine's ``rsdl_metadata.yaml`` (in the corpus, ``rsdl-source/``): the body parameter
  sets the engine puts into the RSDL it serves.

Run it when either changes, then ``tools/build_v4_contract.py`` to write the contract:

    python3 tools/extract_v4_model.py [--corpus ../shared/corpus]
    python3 tools/build_v4_contract.py

The JSON it writes is what the build reads: the build needs neither the SDK nor the corpus.
"""

from __future__ import annotations

import argparse
import ast
import enum
import inspect
import json
import os
import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "tools" / "v4_model.json"
METADATA = "rsdl-source/rsdl_metadata_engine-master_0111fc63.yaml"

PRIMITIVES = {
    "read_string": "string",
    "read_integer": "integer",
    "read_boolean": "boolean",
    "read_date": "date",
    "read_decimal": "decimal",
}
QUERY_TYPES = {"bool": "xs:boolean", "int": "xs:int", "str": "xs:string", "float": "xs:double"}


def _sdk() -> tuple[Any, Path]:
    import ovirtsdk4
    import ovirtsdk4.version

    return ovirtsdk4.version.VERSION, Path(os.path.dirname(ovirtsdk4.__file__))


# --------------------------------------------------------------------------- types


def _attr_target(node: ast.AST) -> str | None:
    """``obj.name`` -> ``name``."""
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "obj"
    ):
        return node.attr
    return None


def _read_kind(call: ast.AST) -> tuple[str, str | None]:
    """How a reader reads one child: ('string'|'integer'|..., None), ('enum', E), ('one', T)..."""
    assert isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
    func = call.func
    owner = func.value.id if isinstance(func.value, ast.Name) else ""
    if owner == "Reader":
        if func.attr in PRIMITIVES:
            return PRIMITIVES[func.attr], None
        if func.attr in ("read_enum", "read_enums"):
            enum_arg = call.args[0]
            assert isinstance(enum_arg, ast.Attribute)
            return ("enum" if func.attr == "read_enum" else "enums"), enum_arg.attr
        if func.attr == "read_strings":
            return "strings", None
        raise ValueError(f"unknown reader call {func.attr}")
    assert owner.endswith("Reader")
    target = owner[: -len("Reader")]
    return ("one" if func.attr == "read_one" else "many"), target


def _if_chain(node: ast.If) -> list[tuple[ast.expr, list[ast.stmt]]]:
    chain: list[tuple[ast.expr, list[ast.stmt]]] = []
    current: ast.stmt | None = node
    while isinstance(current, ast.If):
        chain.append((current.test, current.body))
        current = current.orelse[0] if len(current.orelse) == 1 else None
    return chain


def _compared(test: ast.expr, name: str) -> str | None:
    """``tag == 'x'`` -> 'x' (when the left side is ``name``)."""
    if (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == name
        and isinstance(test.comparators[0], ast.Constant)
    ):
        return str(test.comparators[0].value)
    return None


def read_types(sdk_dir: Path) -> dict[str, dict[str, Any]]:
    """Every SDK type: its child elements (in reader order), attributes and link rels."""
    tree = ast.parse((sdk_dir / "readers.py").read_text())
    found: dict[str, dict[str, Any]] = {}
    for cls in tree.body:
        if not isinstance(cls, ast.ClassDef) or not cls.name.endswith("Reader"):
            continue
        name = cls.name[: -len("Reader")]
        entry: dict[str, Any] = {"attributes": [], "fields": [], "rels": {}}
        attr_tag: dict[str, str] = {}
        for fn in cls.body:
            if not isinstance(fn, ast.FunctionDef):
                continue
            if fn.name == "read_one":
                for node in ast.walk(fn):
                    if (
                        isinstance(node, ast.Call)
                        and isinstance(node.func, ast.Attribute)
                        and node.func.attr == "get_attribute"
                        and isinstance(node.args[0], ast.Constant)
                    ):
                        attribute = str(node.args[0].value)
                        if attribute not in entry["attributes"] and attribute != "rel":
                            entry["attributes"].append(attribute)
                    if isinstance(node, ast.If) and _compared(node.test, "tag") is not None:
                        for test, body in _if_chain(node):
                            tag = _compared(test, "tag")
                            if tag is None or tag == "link":
                                continue
                            assign = body[0]
                            assert isinstance(assign, ast.Assign)
                            attr = _attr_target(assign.targets[0])
                            assert attr is not None
                            kind, target = _read_kind(assign.value)
                            attr_tag[attr] = tag
                            entry["fields"].append([tag, kind, target])
                        break
            elif fn.name == "_process_link":
                for node in ast.walk(fn):
                    if isinstance(node, ast.If) and _compared(node.test, "rel") is not None:
                        for test, body in _if_chain(node):
                            rel = _compared(test, "rel")
                            inner = body[0]
                            assert isinstance(inner, ast.If)
                            compare = inner.test
                            assert isinstance(compare, ast.Compare)
                            attr = _attr_target(compare.left)
                            assert rel is not None and attr is not None
                            entry["rels"][rel] = attr
                        break
        # rel -> the child element that holds the same list when it is inlined
        entry["rels"] = {rel: attr_tag.get(attr, attr) for rel, attr in entry["rels"].items()}
        found[name] = entry
    return found


def write_singulars(sdk_dir: Path) -> dict[str, dict[str, str]]:
    """Per type: list element -> the element name of its items, as the writers write them."""
    tree = ast.parse((sdk_dir / "writers.py").read_text())
    found: dict[str, dict[str, str]] = {}
    for cls in tree.body:
        if not isinstance(cls, ast.ClassDef) or not cls.name.endswith("Writer"):
            continue
        items: dict[str, str] = {}
        for fn in cls.body:
            if not isinstance(fn, ast.FunctionDef) or fn.name != "write_one":
                continue
            open_list: str | None = None
            for node in ast.walk(fn):
                if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                    continue
                args = [a.value for a in node.args if isinstance(a, ast.Constant)]
                if node.func.attr == "write_many" and len(args) == 2:
                    items[str(args[1])] = str(args[0])
                elif node.func.attr == "write_start" and args:
                    open_list = str(args[0])
                elif (
                    node.func.attr == "write_string"
                    and open_list
                    and args
                    and ast.unparse(node.args[2]) in ("item", "item.value")
                ):
                    # writer.write_start('plural'); for item: Writer.write_string(w, 'singular')
                    items[open_list] = str(args[0])
        found[cls.name[: -len("Writer")]] = items
    return found


def registered_elements(sdk_dir: Path) -> dict[str, list[str]]:
    """Global element names the SDK dispatches on: ``vm`` -> [Vm, one], ``vms`` -> [Vm, many]."""
    found: dict[str, list[str]] = {}
    pattern = re.compile(r"^Reader\.register\('(\w+)', (\w+)Reader\.read_(one|many)\)", re.M)
    for match in pattern.finditer((sdk_dir / "readers.py").read_text()):
        found[match.group(1)] = [match.group(2), match.group(3)]
    return found


def hierarchy_and_enums() -> tuple[dict[str, str | None], dict[str, list[str]]]:
    import ovirtsdk4.types as types

    bases: dict[str, str | None] = {}
    enums: dict[str, list[str]] = {}
    for name, cls in inspect.getmembers(types, inspect.isclass):
        if cls.__module__ != types.__name__:
            continue
        if issubclass(cls, enum.Enum):
            enums[name] = [member.value for member in cls]
        else:
            base = cls.__bases__[0].__name__
            bases[name] = None if base in ("Struct", "object") else base
    return bases, enums


# ------------------------------------------------------------------------ services


def _calls(fn: ast.FunctionDef, attr: str) -> list[ast.Call]:
    return [
        node
        for node in ast.walk(fn)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == attr
    ]


def _checked_types(fn: ast.FunctionDef) -> dict[str, str]:
    """``Service._check_types([('vm', vm, types.Vm), ('max', max, int)])`` -> name: type."""
    found: dict[str, str] = {}
    for call in _calls(fn, "_check_types"):
        listed = call.args[0]
        assert isinstance(listed, ast.List)
        for item in listed.elts:
            assert isinstance(item, ast.Tuple)
            name = item.elts[0]
            kind = item.elts[2]
            assert isinstance(name, ast.Constant)
            found[str(name.value)] = (
                kind.attr if isinstance(kind, ast.Attribute) else ast.unparse(kind)
            )
    return found


def _query_names(fn: ast.FunctionDef) -> list[tuple[str, str]]:
    """``query['max'] = max`` -> [('max', 'max')]: (URL name, Python parameter)."""
    found: list[tuple[str, str]] = []
    for node in ast.walk(fn):
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.targets[0], ast.Subscript)
            and isinstance(node.targets[0].value, ast.Name)
            and node.targets[0].value.id == "query"
        ):
            key = node.targets[0].slice
            assert isinstance(key, ast.Constant)
            value = node.value
            source = value.id if isinstance(value, ast.Name) else ast.unparse(value)
            found.append((str(key.value), source))
    return found


def _action_fields(fn: ast.FunctionDef) -> list[str]:
    """``types.Action(async_=async_, vm=vm)`` -> ['async_', 'vm'] (Python names)."""
    for call in _calls(fn, "Action"):
        return [kw.arg for kw in call.keywords if kw.arg]
    return []


def read_services(sdk_dir: Path) -> dict[str, dict[str, Any]]:
    """Every service class: its operations and the services below it."""
    tree = ast.parse((sdk_dir / "services.py").read_text())
    found: dict[str, dict[str, Any]] = {}
    for cls in tree.body:
        if not isinstance(cls, ast.ClassDef) or not cls.name.endswith("Service"):
            continue
        entry: dict[str, Any] = {
            "base": ast.unparse(cls.bases[0]) if cls.bases else None,
            "operations": [],
            "subs": {},
            "locator": None,
        }
        for fn in cls.body:
            if not isinstance(fn, ast.FunctionDef):
                continue
            checked = _checked_types(fn)
            query = [
                [name, QUERY_TYPES.get(checked.get(python, "str"), "xs:string")]
                for name, python in _query_names(fn)
            ]
            for node in ast.walk(fn):
                if isinstance(node, ast.Return) and isinstance(node.value, ast.Call):
                    call = node.value
                    if not isinstance(call.func, ast.Name) or not call.func.id.endswith("Service"):
                        continue
                    path = ast.unparse(call.args[1])
                    sub = re.fullmatch(r"'%s/([\w.-]+)' % self\._path", path)
                    if sub:
                        entry["subs"][sub.group(1)] = call.func.id
                    elif re.fullmatch(r"'%s/%s' % \(self\._path, \w+\)", path):
                        entry["locator"] = call.func.id
            kinds = {
                "_internal_get": "GET",
                "_internal_add": "POST",
                "_internal_update": "PUT",
                "_internal_remove": "DELETE",
                "_internal_action": "ACTION",
            }
            for attr, kind in kinds.items():
                for call in _calls(fn, attr):
                    operation: dict[str, Any] = {
                        "method": fn.name,
                        "kind": kind,
                        "query": query,
                    }
                    if kind in ("POST", "PUT"):
                        body = call.args[0]
                        assert isinstance(body, ast.Name)
                        operation["body"] = checked.get(body.id)
                    if kind == "ACTION":
                        name = call.args[1]
                        assert isinstance(name, ast.Constant)
                        operation["action"] = str(name.value)
                        member = call.args[2]
                        if isinstance(member, ast.Constant) and member.value:
                            operation["member"] = str(member.value)
                        operation["parameters"] = [
                            [field.rstrip("_"), checked.get(field, "str")]
                            for field in _action_fields(fn)
                        ]
                    entry["operations"].append(operation)
        found[cls.name] = entry
    return found


# ------------------------------------------------------------------------ metadata


def read_metadata(corpus: Path) -> dict[str, Any]:
    """The engine's rsdl_metadata.yaml: per ``path|rel=x``, url params, headers, signatures."""
    text = (corpus / METADATA).read_text()
    text = text.replace("!!org.ovirt.engine.api.rsdl.MetaData", "", 1)
    data = yaml.safe_load(text)
    found: dict[str, Any] = {}
    for action in data["actions"]:
        request = action.get("request") or {}
        body = request.get("body") or {}
        entry = {
            "urlparams": {
                name: {"type": spec.get("type", "xs:string"), "required": spec.get("required")}
                for name, spec in (request.get("urlparams") or {}).items()
            },
            "signatures": [
                {
                    "mandatory": signature.get("mandatoryArguments") or {},
                    "optional": signature.get("optionalArguments") or {},
                }
                for signature in body.get("signatures") or []
            ],
        }
        if entry["urlparams"] or entry["signatures"]:
            found[action["name"]] = entry
    return found


def dump(model: dict[str, Any]) -> str:
    """JSON with one entry of each section per line: compact, and diffs stay readable."""
    lines = ["{"]
    sections = sorted(model.items())
    for number, (key, value) in enumerate(sections):
        comma = "," if number < len(sections) - 1 else ""
        if not isinstance(value, dict):
            lines.append(f" {json.dumps(key)}: {json.dumps(value)}{comma}")
            continue
        lines.append(f" {json.dumps(key)}: {{")
        items = sorted(value.items())
        for index, (name, entry) in enumerate(items):
            tail = "," if index < len(items) - 1 else ""
            text = json.dumps(entry, sort_keys=True, separators=(",", ":"))
            lines.append(f"  {json.dumps(name)}: {text}{tail}")
        lines.append(f" }}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--corpus",
        type=Path,
        default=Path(os.environ.get("CONTRACTTEST_CORPUS", ROOT.parent / "shared" / "corpus")),
    )
    args = parser.parse_args()
    version, sdk_dir = _sdk()
    bases, enums = hierarchy_and_enums()
    types = read_types(sdk_dir)
    singulars = write_singulars(sdk_dir)
    for name, entry in types.items():
        entry["base"] = bases.get(name)
        entry["items"] = singulars.get(name, {})
    model = {
        "sdk_version": version,
        "types": types,
        "enums": enums,
        "elements": registered_elements(sdk_dir),
        "services": read_services(sdk_dir),
        "metadata": read_metadata(args.corpus),
    }
    MODEL.write_text(dump(model))
    print(f"wrote {MODEL.relative_to(ROOT)} (ovirtsdk4 {version})")


if __name__ == "__main__":
    main()
