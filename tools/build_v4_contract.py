"""Write contracttest's bundled oVirt v4 contract from the facts in ``tools/v4_model.json``.

    python3 tools/build_v4_contract.py          # writes contracttest/contracts/v4/
    python3 tools/build_v4_contract.py --check  # exit 1 when the written files are stale

``tools/v4_model.json`` holds the facts of the v4 wire format (types, child elements,
enumerations, services, the engine's body parameter sets); ``tools/extract_v4_model.py``
gathers it from the ovirtsdk4 SDK and the engine's ``rsdl_metadata.yaml``. This script adds
what the facts leave open, each choice stated below:

* type names follow the engine's v3 schema where the same entity existed there (``VM``,
  ``VMs``, ``NIC``, ``HostNIC``, ``CdRom``...), else the v4 model's names; RSDL ``<type>``s
  are these names, and each is the type of a global element of the XSD;
* every child element is optional (engines leave out what is unset), integers are
  ``xs:long`` (memory sizes pass 2^31), and every enumeration of the model is kept strict;
* elements the model's readers do not list (``EXTRA_FIELDS``: the API root's ``<link>``s);
* the RSDL is the build-time form (hrefs relative to the API prefix) with a ``<version>``,
  every URL parameter in the query, as v4 engines read them, and the engine metadata's body
  parameter sets, with its few v3 left-overs and typos corrected (``METADATA_FIXES``,
  ``METADATA_RENAMES``, ``_clean_type``).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "tools" / "v4_model.json"
OUT = ROOT / "contracttest" / "contracts" / "v4"

VERSION = {"major": "4", "minor": "5", "build": "0", "revision": "0"}

# --------------------------------------------------------------------------- names

#: v4 model type -> the name the engine's v3 schema gave the same entity.
RENAMED = {
    "Api": "API",
    "Cdrom": "CdRom",
    "Cpu": "CPU",
    "Dns": "DNS",
    "HostNic": "HostNIC",
    "Identified": "BaseResource",
    "Io": "IO",
    "Ip": "IP",
    "Ksm": "KSM",
    "Mac": "MAC",
    "Nic": "NIC",
    "Qos": "QoS",
    "SkipIfSdActive": "SkipIfSDActive",
    "Spm": "SPM",
    "Ssh": "SSH",
    "SshPublicKey": "SSHPublicKey",
    "VcpuPin": "VCpuPin",
    "VirtioScsi": "VirtIO_SCSI",
    "Vlan": "VLAN",
    "Vm": "VM",
    "Watchdog": "WatchDog",
}
#: Collection element -> the v3 schema's name for its type (others: the element, camel-cased).
COLLECTION_NAMES = {
    "cdroms": "CdRoms",
    "cpus": "CPUs",
    "host_nics": "HostNics",
    "host_numa_nodes": "NumaNodes",
    "ips": "IPs",
    "nics": "Nics",
    "qoss": "QoSs",
    "ssh_public_keys": "SSHPublicKeys",
    "vms": "VMs",
    "watchdogs": "WatchDogs",
    "bricks": "GlusterBricks",
    "memory_pools": "GlusterMemoryPools",
    "server_hooks": "GlusterServerHooks",
    "operation_systems": "OperatingSystemInfos",
    "vm_numa_nodes": "VirtualNumaNodes",
}
#: Global elements besides the model's, for the same types: the v4 model names the list of
#: operating systems ``operation_systems``; engines and the v3 schema say ``operating_systems``.
ALIASES = {"operating_systems": "operation_systems"}

XS_OF = {
    "string": "xs:string",
    "integer": "xs:long",
    "boolean": "xs:boolean",
    "date": "xs:dateTime",
    "decimal": "xs:decimal",
}

#: Elements real v4 engines (4.2, 4.3) send that the 4.6 model dropped or never listed:
#: type -> [(element, kind, target)] in the model's notation.
EXTRA_FIELDS: dict[str, list[list[Any]]] = {
    "Api": [["link", "links", None]],
}

#: Model types whose registered collection element means something else: ``actions`` holds
#: an entity's action links, never a list of ``<action>`` answers.
NO_COLLECTION = {"Action"}


def _squash(name: str) -> str:
    return name.replace("_", "").lower()


def camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def singular(segment: str) -> str:
    """``vms`` -> ``vm``, ``katelloerrata`` -> ``katelloerratum``: a path variable's name."""
    irregular = {"katelloerrata": "katelloerratum", "statistics": "statistic", "qoss": "qos"}
    if segment in irregular:
        return irregular[segment]
    if segment.endswith("ies"):
        return segment[:-3] + "y"
    if segment.endswith("s"):
        return segment[:-1]
    return segment


# --------------------------------------------------------------------------- schema


@dataclass
class Field:
    name: str
    type: str  # an XSD type name
    max_occurs: str = "1"


@dataclass
class Complex:
    name: str
    base: str | None = None
    fields: list[Field] = field(default_factory=list)
    attributes: list[str] = field(default_factory=list)


class SchemaBuilder:
    """The v4 model's types as XSD complex and simple types, with their global elements."""

    def __init__(self, model: dict[str, Any]) -> None:
        self.model = model
        self.types: dict[str, dict[str, Any]] = model["types"]
        self.enums: dict[str, list[str]] = model["enums"]
        self.registered: dict[str, list[str]] = model["elements"]
        self.complex: dict[str, Complex] = {}
        self.lists: dict[tuple[str, str], str] = {}  # (item XSD type, item element) -> list type
        self.used_enums: set[str] = set()
        # the registered singular and plural element of each model type
        self.singular_of: dict[str, str] = {}
        self.plural_of: dict[str, str] = {}
        for element, (type_name, kind) in sorted(self.registered.items()):
            target = self.singular_of if kind == "one" else self.plural_of
            target.setdefault(type_name, element)

    def type_name(self, model_type: str) -> str:
        return RENAMED.get(model_type, model_type)

    def collection_name(self, model_type: str) -> str:
        """The XSD type of the model type's registered collection (``Vm`` -> ``VMs``)."""
        plural = self.plural_of[model_type]
        return self.list_type(self.type_name(model_type), self.singular_of[model_type], plural)

    def list_type(self, item_type: str, item: str, plural: str, name: str = "") -> str:
        key = (item_type, item)
        if key not in self.lists:
            # the v3 name, else the item's name and an s (OpenStackImageProviders), else the
            # element's (KatelloErrata, Properties)
            plain = f"{item_type}s" if _squash(f"{item_type}s") == _squash(plural) else ""
            candidates = [
                name or COLLECTION_NAMES.get(plural) or plain or camel(plural),
                camel(plural),
                f"{camel(plural)}Of{camel(item)}",
            ]
            name = next(c for c in candidates if c not in self.complex and c not in self.enums)
            self.lists[key] = name
            fields = [Field(item, item_type, "unbounded")]
            self.complex[name] = Complex(name, None, fields, ["href"])
        return self.lists[key]

    def value_type(self, owner: str, tag: str, kind: str, target: str | None) -> tuple[str, str]:
        """(XSD type, maxOccurs) of one child element."""
        if kind in XS_OF:
            return XS_OF[kind], "1"
        if kind == "enum":
            assert target is not None
            self.used_enums.add(target)
            return target, "1"
        if kind == "one":
            assert target is not None
            return self.type_name(target), "1"
        items = self.types[owner]["items"] if owner in self.types else {}
        if kind == "many":
            assert target is not None
            item = items.get(tag) or self.singular_of.get(target) or singular(tag)
            return self.list_type(self.type_name(target), item, tag), "1"
        if kind == "enums":
            assert target is not None
            self.used_enums.add(target)
            item = items.get(tag) or singular(tag)
            return self.list_type(target, item, tag, f"{target}s"), "1"
        if kind == "strings":
            item = items.get(tag) or singular(tag)
            return self.list_type("xs:string", item, tag), "1"
        if kind == "links":
            return "Link", "unbounded"
        raise ValueError(f"{owner}.{tag}: unknown kind {kind}")

    def inherited(self, model_type: str) -> set[str]:
        """The child elements a model type's bases already declare."""
        found: set[str] = set()
        base = self.types[model_type]["base"]
        while base:
            found.update(tag for tag, _, _ in self.types[base]["fields"])
            base = self.types[base]["base"]
        if self.is_identified(model_type):
            found.update({"name", "description", "comment"})
        return found

    def is_identified(self, model_type: str) -> bool:
        current: str | None = model_type
        while current:
            if current == "Identified":
                return True
            current = self.types[current]["base"]
        return False

    def build(self) -> None:
        self.complex["Link"] = Complex("Link", None, [], ["href", "rel"])
        self.complex["Actions"] = Complex(
            "Actions", None, [Field("link", "Link", "unbounded")], ["href"]
        )
        self.complex["BaseResource"] = Complex(
            "BaseResource",
            None,
            [  # in the order engines write them
                Field("actions", "Actions"),
                Field("name", "xs:string"),
                Field("description", "xs:string"),
                Field("comment", "xs:string"),
                Field("link", "Link", "unbounded"),
                # an asynchronous add (202) answers the entity with how its creation goes
                Field("creation_status", "CreationStatus"),
            ],
            ["href", "id"],
        )
        self.used_enums.add("CreationStatus")
        # the collections first: they get the plain names (VMs, HostNics, Statistics...)
        for model_type in sorted(self.plural_of):
            if model_type not in NO_COLLECTION:
                self.collection_name(model_type)
        for model_type in sorted(self.types):
            if model_type == "Identified":
                continue
            entry = self.types[model_type]
            name = self.type_name(model_type)
            base = entry["base"]
            known = self.inherited(model_type)
            fields: list[Field] = []
            for tag, kind, target in [*entry["fields"], *EXTRA_FIELDS.get(model_type, [])]:
                if tag in known or any(f.name == tag for f in fields):
                    continue
                xsd_type, max_occurs = self.value_type(model_type, tag, kind, target)
                fields.append(Field(tag, xsd_type, max_occurs))
            attributes = [] if base else sorted(entry["attributes"])
            self.complex[name] = Complex(
                name, self.type_name(base) if base else None, fields, attributes
            )

    def elements(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for element, (model_type, kind) in sorted(self.registered.items()):
            if element == "actions":
                found[element] = "Actions"  # what entities carry; no answer is a list of actions
            elif kind == "one":
                found[element] = self.type_name(model_type)
            else:
                found[element] = self.collection_name(model_type)
        found["link"] = "Link"
        for alias, element in ALIASES.items():
            found[alias] = found[element]
        return dict(sorted(found.items()))

    def xsd(self) -> str:
        self.build()
        elements = self.elements()
        out = [
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>',
            "<!--",
            "  The oVirt engine REST API, version 4: the entity schema (what <api>?schema serves).",
            "  Written for contracttest by tools/build_v4_contract.py from tools/v4_model.json;",
            "  edit those, not this file.",
            "",
            "  Conventions: only id and href are attributes of entities; every child is optional",
            "  and real engines do not keep the sequence order; a reference to another entity is",
            "  an element of that entity's type holding only href and id (<cluster href id/>);",
            "  a list is a plural element holding its items (<nics><nic/></nics>).",
            "-->",
            '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" version="1.0">',
            "",
            "  <!-- Global elements: every entity and its collection, and the envelopes -->",
        ]
        out += [f'  <xs:element name="{n}" type="{t}"/>' for n, t in elements.items()]
        out += ["", "  <!-- Enumerations -->"]
        for enum in sorted(self.used_enums):
            out.append(f'  <xs:simpleType name="{enum}">')
            out.append('    <xs:restriction base="xs:string">')
            out += [
                f"      <xs:enumeration value={quoteattr(value)}/>"
                for value in sorted(self.enums[enum])
            ]
            out.append("    </xs:restriction>")
            out.append("  </xs:simpleType>")
        out += ["", "  <!-- Complex types -->"]
        first = ["Link", "Actions", "BaseResource"]
        for name in [*first, *sorted(set(self.complex) - set(first))]:
            out += self.complex_xsd(self.complex[name])
        out += ["</xs:schema>", ""]
        return "\n".join(out)

    def complex_xsd(self, ctype: Complex) -> list[str]:
        out = [f'  <xs:complexType name="{ctype.name}">']
        indent = "    "
        if ctype.base:
            out.append("    <xs:complexContent>")
            out.append(f'      <xs:extension base="{ctype.base}">')
            indent = "        "
        if ctype.fields:
            out.append(f"{indent}<xs:sequence>")
            for f in ctype.fields:
                occurs = ' maxOccurs="unbounded"' if f.max_occurs == "unbounded" else ""
                out.append(
                    f'{indent}  <xs:element name="{f.name}" type="{f.type}" minOccurs="0"{occurs}/>'
                )
            out.append(f"{indent}</xs:sequence>")
        for attribute in ctype.attributes:
            out.append(f'{indent}<xs:attribute name="{attribute}" type="xs:string"/>')
        if ctype.base:
            out.append("      </xs:extension>")
            out.append("    </xs:complexContent>")
        out.append("  </xs:complexType>")
        return out


# --------------------------------------------------------------------------- RSDL


@dataclass
class UrlParam:
    name: str
    type: str
    required: bool = False


@dataclass
class BodyParam:
    name: str
    type: str
    required: bool
    deprecated: bool = False
    nested: list[BodyParam] = field(default_factory=list)


@dataclass
class Link:
    href: str
    rel: str
    method: str
    description: str
    url: list[UrlParam] = field(default_factory=list)
    body: str | None = None
    sets: list[list[BodyParam]] = field(default_factory=list)
    response: str | None = None
    optional: list[BodyParam] = field(default_factory=list)  # the v4 services' own


class RsdlBuilder:
    """The v4 services as RSDL links."""

    def __init__(self, model: dict[str, Any], schema: SchemaBuilder) -> None:
        self.model = model
        self.schema = schema
        self.services: dict[str, dict[str, Any]] = model["services"]
        self.metadata: dict[str, Any] = {
            _normalise(key): value for key, value in model["metadata"].items()
        }
        self.links: dict[tuple[str, str], Link] = {}
        self.unresolved: list[str] = []
        self.matched: set[str] = set()

    # ---- services, with their bases merged

    def service(self, name: str) -> dict[str, Any]:
        entry = self.services[name]
        base = entry.get("base")
        if base and base in self.services:
            inherited = self.service(base)
            merged = dict(entry)
            merged["operations"] = [*inherited["operations"], *entry["operations"]]
            merged["subs"] = {**inherited["subs"], **entry["subs"]}
            merged["locator"] = entry["locator"] or inherited["locator"]
            return merged
        return entry

    def walk(self) -> None:
        system = self.service("SystemService")
        self.operations("", system, "Api")
        for segment, sub in sorted(system["subs"].items()):
            self.visit(segment, sub, parent_type="Api", depth=1)

    def visit(self, href: str, name: str, parent_type: str | None, depth: int) -> None:
        if depth > 12:
            raise RuntimeError(f"services nest too deep at {href}")
        service = self.service(name)
        segment = href.rpartition("/")[2]
        item_type = self.item_type(href, service, parent_type, segment)
        if service["locator"]:
            self.operations(href, service, item_type)
            entity_href = f"{href}/{{{singular(segment)}:id}}"
            entity = self.service(service["locator"])
            self.operations(entity_href, entity, item_type)
            for sub_segment, sub in sorted(entity["subs"].items()):
                self.visit(f"{entity_href}/{sub_segment}", sub, item_type, depth + 1)
        else:
            self.operations(href, service, item_type)
            for sub_segment, sub in sorted(service["subs"].items()):
                self.visit(f"{href}/{sub_segment}", sub, item_type, depth + 1)

    def item_type(
        self, href: str, service: dict[str, Any], parent_type: str | None, segment: str
    ) -> str | None:
        """The model type of a collection's items (or of a single resource)."""
        known = self.schema.types
        for operation in service["operations"]:
            if operation["kind"] in ("POST", "PUT") and operation.get("body") in known:
                return str(operation["body"])
        if service["locator"]:
            for operation in self.service(service["locator"])["operations"]:
                if operation["kind"] == "PUT" and operation.get("body") in known:
                    return str(operation["body"])
        if parent_type and parent_type in self.schema.types:
            tag = self.schema.types[parent_type]["rels"].get(segment)
            for field_tag, kind, target in self.schema.types[parent_type]["fields"]:
                if field_tag == tag and kind in ("many", "one"):
                    return str(target)
        if segment in ITEM_TYPES:
            return ITEM_TYPES[segment]
        self.unresolved.append(href)
        return None

    def operations(self, href: str, service: dict[str, Any], model_type: str | None) -> None:
        """The links of one service's operations (list and get, add, update, remove, actions)."""
        entity = self.schema.type_name(model_type) if model_type else None
        listed = (
            self.schema.collection_name(model_type) if model_type in self.schema.plural_of else None
        )
        for operation in service["operations"]:
            kind = operation["kind"]
            query = [UrlParam(n, t) for n, t in operation["query"]]
            if kind == "GET":
                response = listed if operation["method"] == "list" else entity
                if href == "":
                    continue  # the API root: every contract has it (Contract.root_link)
                self.add(href, "get", "GET", query, response=response)
            elif kind == "POST":
                body = self.body_type(operation, entity, listed)
                self.add(href, "add", "POST", query, body=body, response=body)
            elif kind == "PUT":
                body = self.body_type(operation, entity, listed)
                self.add(href, "update", "PUT", query, body=body, response=body)
            elif kind == "DELETE":
                self.add(href, "delete", "DELETE", query)
            else:
                action = operation["action"]
                path = f"{href}/{action}" if href else action
                self.add(
                    path,
                    action,
                    "POST",
                    query,
                    body="Action",
                    response="Action",
                    parameters=operation["parameters"],
                )

    def body_type(
        self, operation: dict[str, Any], entity: str | None, listed: str | None
    ) -> str | None:
        """The XSD type of an add or update body: its model type, or a list of the items."""
        body = operation.get("body")
        if body in self.schema.types:
            return self.schema.type_name(str(body))
        if body == "list":
            return listed
        return entity

    def add(
        self,
        href: str,
        rel: str,
        method: str,
        query: list[UrlParam],
        body: str | None = None,
        response: str | None = None,
        parameters: list[list[str]] | None = None,
    ) -> None:
        key = (href, method)
        link = self.links.get(key)
        if link is None:
            link = Link(href, rel, method, describe(href, rel), body=body, response=response)
            self.links[key] = link
        for param in query:
            if all(p.name != param.name for p in link.url):
                link.url.append(param)
        for name, python_type in parameters or ():
            if python_type not in PYTHON_TYPES:
                continue  # an entity (vm, host...): the metadata names its fields, if any
            full = f"action.{name}"
            if all(p.name != full for p in link.optional):
                link.optional.append(BodyParam(full, PYTHON_TYPES[python_type], False))

    def finish(self) -> list[Link]:
        """Merge in the engine's metadata (parameter sets, URL parameters) and headers."""
        for (href, method), link in self.links.items():
            key = _normalise(f"{href}|rel={link.rel}")
            meta = self.metadata.get(key)
            if meta is not None:
                self.matched.add(key)
                for name, spec in meta["urlparams"].items():
                    if all(p.name != name for p in link.url):
                        required = spec.get("required") is True
                        link.url.append(UrlParam(name, _clean_type(spec["type"]), required))
                fix = METADATA_FIXES.get(key, {})
                link.sets = [s for s in (_signature(s, fix) for s in meta["signatures"]) if s]
            if link.optional:
                # what the v4 services take besides: optional in every overload
                link.sets = link.sets or [[]]
                for parameters in link.sets:
                    names = {p.name for p in parameters}
                    parameters += [p for p in link.optional if p.name not in names]
            # what the engine reads on every request, whatever the service
            for name, type_name in ENGINE_WIDE_PARAMETERS[method == "GET"]:
                if all(p.name != name for p in link.url):
                    link.url.append(UrlParam(name, type_name))
            link.url.sort(key=lambda p: p.name)
        return sorted(self.links.values(), key=lambda it: (it.href, _METHOD_ORDER[it.method]))

    def rsdl(self) -> str:
        self.walk()
        links = self.finish()
        out = [
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>',
            "<!--",
            "  The oVirt engine REST API, version 4: its RSDL, in the form engines build it (hrefs",
            "  relative to the API prefix). Written for contracttest by tools/build_v4_contract.py",
            "  from tools/v4_model.json; edit those, not this file.",
            "-->",
            '<rsdl href="?rsdl" rel="rsdl">',
            "  <description>The oVirt engine REST API, version 4.</description>",
            "  <version " + " ".join(f'{k}="{v}"' for k, v in VERSION.items()) + "/>",
            '  <schema href="?schema" rel="schema">',
            "    <name>api.xsd</name>",
            "    <description>The entities of the oVirt engine REST API, version 4.</description>",
            "  </schema>",
            '  <general href="*" rel="*">',
            "    <description>Options every request may use.</description>",
            "    <request>",
            "      <headers>",
            '        <header required="false">',
            "          <name>Version</name>",
            "          <description>The API version the client speaks.</description>",
            "          <value>4</value>",
            "        </header>",
            '        <header required="false">',
            "          <name>Prefer</name>",
            "          <description>persistent-auth keeps the session open.</description>",
            "          <value>persistent-auth</value>",
            "        </header>",
            '        <header required="false">',
            "          <name>Session-TTL</name>",
            "          <description>Minutes a session may stay idle.</description>",
            "          <value>minutes</value>",
            "        </header>",
            "      </headers>",
            "    </request>",
            "    <name>Common request options</name>",
            "  </general>",
            "  <links>",
        ]
        for link in links:
            out += link_xml(link)
        out += ["  </links>", "</rsdl>", ""]
        return "\n".join(out)


_METHOD_ORDER = {"GET": 0, "POST": 1, "PUT": 2, "DELETE": 3}

#: Query parameters the engine honours on any request (True: on reads, False: on writes):
#: ``filter`` restricts every read to what the user may see; ``correlation_id`` stands in
#: for the Correlation-Id header of a write.
ENGINE_WIDE_PARAMETERS = {
    True: [("filter", "xs:boolean")],
    False: [("correlation_id", "xs:string")],
}

#: Items of collections whose type neither an add nor an update nor the parent's model names,
#: by the collection's path segment.
ITEM_TYPES: dict[str, str] = {
    "checkpoints": "Checkpoint",
    "clusterfeatures": "ClusterFeature",
    "clusterlevels": "ClusterLevel",
    "disks": "Disk",
    "domains": "Domain",
    "glusterbricks": "GlusterBrick",
    "groups": "Group",
    "icons": "Icon",
    "katelloerrata": "KatelloErratum",
    "linklayerdiscoveryprotocolelements": "LinkLayerDiscoveryProtocolElement",
    "networkfilters": "NetworkFilter",
    "operatingsystems": "OperatingSystemInfo",
    "options": "SystemOption",
    "schedulingpolicyunits": "SchedulingPolicyUnit",
    "statistics": "Statistic",
    "storage": "HostStorage",
    "users": "User",
}


def _normalise(key: str) -> str:
    """A metadata key or a link as ``vms/{}/previewsnapshot|rel=previewsnapshot``.

    Variables lose their names; the metadata still spells some v3 action names with
    underscores (``preview_snapshot``) and some sub-collections by their v3 names; v4 paths
    never have underscores.
    """
    path, _, rel = key.partition("|rel=")
    path = re.sub(r"\{[^}]+\}", "{}", path.strip("/").replace("|{", "/{"))
    segments = [METADATA_RENAMES.get(s, s) for s in path.replace("_", "").split("/")]
    return f"{'/'.join(segments)}|rel={rel.replace('_', '')}"


#: Sub-collections the engine's metadata still names as v3 did.
METADATA_RENAMES = {
    "bricks": "glusterbricks",
    "labels": "networklabels",
    "clusterquotalimits": "quotaclusterlimits",
    "storagequotalimits": "quotastoragelimits",
}


PYTHON_TYPES = {"bool": "xs:boolean", "int": "xs:int", "str": "xs:string", "float": "xs:double"}


#: Where the engine's metadata asks for what v4 engines do not: parameters dropped, or made
#: optional, per link.
METADATA_FIXES: dict[str, dict[str, set[str]]] = {
    # v3's <status><state>; a v4 job ends with <succeeded> and <force>, both optional
    "jobs/{}/end|rel=end": {"drop": {"action.status.state"}},
    # the engine attaches or creates the disk without it (4.1 added it; the v4 examples omit it)
    "vms/{}/diskattachments|rel=add": {"optional": {"disk_attachment.pass_discard"}},
}


def _signature(signature: dict[str, Any], fix: dict[str, set[str]]) -> list[BodyParam]:
    found: list[BodyParam] = []
    for required, group in ((True, signature["mandatory"]), (False, signature["optional"])):
        for raw, value in group.items():
            # the metadata's one "logical-unit": the element is <logical_unit>
            param = _body_param(raw.replace("logical-unit", "logical_unit"), value, required)
            if param.name in fix.get("drop", set()):
                continue
            if param.name in fix.get("optional", set()):
                param.required = False
            found.append(param)
    return found


def _body_param(name: str, value: Any, required: bool) -> BodyParam:
    deprecated = name.endswith("--DEPRECATED")
    name = name.removesuffix("--DEPRECATED")
    if name.endswith("--COLLECTION"):
        nested = [_body_param(k, v, required) for k, v in (value or {}).items()]
        return BodyParam(
            name.removesuffix("--COLLECTION"), "collection", required, deprecated, nested
        )
    return BodyParam(name, _clean_type(str(value)), required, deprecated)


#: The parameter types an RSDL uses.
RSDL_TYPES = {"xs:string", "xs:int", "xs:long", "xs:boolean", "xs:double", "xs:dateTime"}


def _clean_type(declared: str) -> str:
    """The metadata's typos (``xs:int,``, ``xs.string``, ``xs:stringevic``) as proper types."""
    cleaned = declared.strip(" ,;").replace("xs.", "xs:")
    if cleaned in RSDL_TYPES:
        return cleaned
    for known in sorted(RSDL_TYPES, key=len, reverse=True):
        if cleaned.startswith(known):
            return known
    return "xs:string"


def describe(href: str, rel: str) -> str:
    segments = [s for s in href.split("/") if s]
    last = segments[-1] if segments else "api"
    if rel == "get":
        if last.startswith("{"):
            return f"Read one {last[1:].split(':')[0]}."
        return (
            f"List {last}." if len(segments) <= 1 else f"List the {last} of a {_owner(segments)}."
        )
    if rel == "add":
        return (
            f"Add to {last}."
            if len(segments) <= 1
            else f"Add to the {last} of a {_owner(segments)}."
        )
    if rel == "update":
        return f"Change a {last[1:].split(':')[0]}." if last.startswith("{") else f"Change {last}."
    if rel == "delete":
        return f"Remove a {last[1:].split(':')[0]}." if last.startswith("{") else f"Remove {last}."
    owner = segments[-2] if len(segments) > 1 else "api"
    what = owner[1:].split(":")[0] if owner.startswith("{") else owner
    return f"The {rel} action of a {what}."


def _owner(segments: list[str]) -> str:
    for segment in reversed(segments[:-1]):
        if segment.startswith("{"):
            return segment[1:].split(":")[0]
    return segments[0]


def link_xml(link: Link) -> list[str]:
    out = [f"    <link href={quoteattr(link.href)} rel={quoteattr(link.rel)}>"]
    out.append(f"      <description>{escape(link.description)}</description>")
    out.append("      <request>")
    out.append(f"        <http_method>{link.method}</http_method>")
    headers = list(_headers(link))
    if headers:
        out.append("        <headers>")
        for name, value, required in headers:
            out.append(f'          <header required="{str(required).lower()}">')
            out.append(f"            <name>{name}</name>")
            out.append(f"            <value>{escape(value)}</value>")
            out.append("          </header>")
        out.append("        </headers>")
    if link.url:
        out.append("        <url>")
        out.append("          <parameters_set>")
        for param in link.url:
            out.append(
                f'            <parameter context="query" type="{param.type}" '
                f'required="{str(param.required).lower()}">'
            )
            out.append(f"              <name>{param.name}</name>")
            out.append(f"              <value>{escape(_url_value(param))}</value>")
            out.append("            </parameter>")
        out.append("          </parameters_set>")
        out.append("        </url>")
    if link.body:
        out.append("        <body>")
        out.append(f"          <type>{link.body}</type>")
        for parameters in link.sets:
            out.append("          <parameters_set>")
            for param in parameters:
                out += _param_xml(param, "            ")
            out.append("          </parameters_set>")
        out.append("        </body>")
    else:
        out.append("        <body/>")
    out.append("      </request>")
    if link.response:
        out.append("      <response>")
        out.append(f"        <type>{link.response}</type>")
        out.append("      </response>")
    out.append("    </link>")
    return out


def _param_xml(param: BodyParam, indent: str) -> list[str]:
    out = [f'{indent}<parameter required="{str(param.required).lower()}" type="{param.type}">']
    out.append(f"{indent}  <name>{param.name}</name>")
    if param.deprecated:
        out.append(f"{indent}  <deprecated>true</deprecated>")
    if param.nested:
        out.append(f"{indent}  <parameters_set>")
        for nested in param.nested:
            out += _param_xml(nested, indent + "    ")
        out.append(f"{indent}  </parameters_set>")
    out.append(f"{indent}</parameter>")
    return out


def _url_value(param: UrlParam) -> str:
    if param.type == "xs:boolean":
        return "true|false"
    if param.name == "search":
        return "search query"
    if param.name == "max":
        return "max results"
    if param.name == "follow":
        return "links to inline, comma-separated"
    if param.type in ("xs:int", "xs:long"):
        return "number"
    return "string"


def _headers(link: Link) -> Iterator[tuple[str, str, bool]]:
    if link.method == "GET":
        yield "All-Content", "true|false", False
        yield "Filter", "true|false", False
        return
    yield "Correlation-Id", "any string", False
    if link.method in ("POST", "PUT"):
        yield "Content-Type", "application/xml|json", True
    if link.rel == "add":
        yield "Expect", "201-created", False


# --------------------------------------------------------------------------- main


def build(model: dict[str, Any]) -> tuple[str, str, list[str]]:
    schema = SchemaBuilder(model)
    xsd = schema.xsd()
    rsdl_builder = RsdlBuilder(model, schema)
    rsdl = rsdl_builder.rsdl()
    return rsdl, xsd, rsdl_builder.unresolved


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the files are stale")
    args = parser.parse_args(list(argv) if argv is not None else None)
    model = json.loads(MODEL.read_text())
    rsdl, xsd, unresolved = build(model)
    if unresolved:
        print("no item type for: " + ", ".join(unresolved), file=sys.stderr)
        return 2
    outputs = {OUT / "rsdl.xml": rsdl, OUT / "api.xsd": xsd}
    if args.check:
        stale = [p for p, text in outputs.items() if not p.is_file() or p.read_text() != text]
        for path in stale:
            print(f"stale: {path.relative_to(ROOT)}", file=sys.stderr)
        return 1 if stale else 0
    OUT.mkdir(parents=True, exist_ok=True)
    for path, text in outputs.items():
        path.write_text(text)
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
