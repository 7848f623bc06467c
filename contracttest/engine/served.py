"""The API root and the contract documents the engine serves (``?rsdl``, ``?schema``).

The RSDL is served in its served form whatever form it was given in: every href absolute
under the API prefix, and a ``<version>``.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from lxml import etree

from contracttest.engine.documents import Fault
from contracttest.engine.http import HttpResponse
from contracttest.engine.model import EngineModel
from contracttest.engine.render import sub, to_bytes
from contracttest.xmlsafe import Element, parse

if TYPE_CHECKING:
    from contracttest.engine.app import Call
    from contracttest.engine.operations import Operations

BLANK_TEMPLATE = "00000000-0000-0000-0000-000000000000"
ROOT_TAG = "00000000-0000-0000-0000-000000000000"
_SUMMARY = ("vms", "hosts", "users", "storage_domains")
_SUMMARY_COLLECTIONS = {"storage_domains": "storagedomains"}


class Documents:
    def __init__(self, rsdl: bytes, xsd: bytes, model: EngineModel) -> None:
        self._rsdl = rsdl
        self.xsd = xsd
        self.model = model
        self._served: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def rsdl(self, prefix: str) -> bytes:
        with self._lock:
            found = self._served.get(prefix)
            if found is None:
                found = self._served[prefix] = _served_form(self._rsdl, prefix, self.model)
        return found

    def root(self, call: Call, method: str, ops: Operations) -> HttpResponse:
        if method != "GET":
            raise Fault(405, body=False, headers=(("Allow", "GET"),))
        keys = {key for key, _ in call.target.query}
        if "rsdl" in keys:
            return HttpResponse(200, self.rsdl(self.model.contract.prefix))
        if "schema" in keys:
            return HttpResponse(200, self.xsd)
        return HttpResponse(200, to_bytes(self.api(call, ops)))

    def api(self, call: Call, ops: Operations) -> Element:
        renderer = ops.renderer
        api = etree.Element("api")
        root_type = self.model.complex_type("API")
        allowed = set(root_type.children) if root_type is not None else set()
        for name, by_method in sorted(self.model.links.items()):
            link = by_method.get("GET")
            if len(name) != 1 or link is None:
                continue
            sub(api, "link", href=renderer.href(name[0]), rel=name[0])
            if any(p.name == "search" for p in link.url_parameters):
                href = renderer.href(f"{name[0]}?search={{query}}")
                sub(api, "link", href=href, rel=f"{name[0]}/search")
        if "special_objects" in allowed:
            self._special_objects(api)
        if "product_info" in allowed:
            info = sub(api, "product_info")
            broken = f" (broken on purpose: {ops.defects})" if ops.defects else ""
            sub(info, "name", f"oVirt Engine{broken}")  # a pin made here says so
            sub(info, "vendor", "ovirt.org")
            renderer.version(info)
        if "summary" in allowed and call.principal.admin:  # counts of everything: not filtered
            self._summary(api, ops)
        if "time" in allowed:
            sub(api, "time", renderer.stamp())
        users = self.model.top_kinds.get("users")
        row = ops.store.by_name(users.name, call.principal.user) if users is not None else None
        for tag in ("authenticated_user", "effective_user"):
            if tag in allowed and row is not None:
                sub(api, tag, href=renderer.href(f"users/{row.id}"), id=row.id)
        return api

    def _special_objects(self, api: Element) -> None:
        renderer_href = self.model.contract.prefix
        holder = sub(api, "special_objects")
        type_name = self.model.child_type("API", "special_objects") or ""
        special = self.model.complex_type(type_name)
        children = special.children if special is not None else {}
        pairs = (("templates", "blank_template", BLANK_TEMPLATE), ("tags", "root_tag", ROOT_TAG))
        for collection, tag, entity_id in pairs:
            if collection not in self.model.top_kinds:
                continue  # a contract without templates (gluster): nothing to point at
            href = f"{renderer_href}/{collection}/{entity_id}"
            if tag in children:
                sub(holder, tag, href=href, id=entity_id)
            elif "link" in children:
                rel = f"{collection}/{'blank' if collection == 'templates' else 'root'}"
                sub(holder, "link", href=href, rel=rel)

    def _summary(self, api: Element, ops: Operations) -> None:
        summary = sub(api, "summary")
        type_name = self.model.child_type("API", "summary") or ""
        summary_type = self.model.complex_type(type_name)
        names = summary_type.children if summary_type is not None else {}
        for name in _SUMMARY:
            if name not in names:
                continue
            rows = ops.store.list(_SUMMARY_COLLECTIONS.get(name, name))
            active = sum(1 for row in rows if parse(row.doc).findtext("status") in ("up", "active"))
            item = sub(summary, name)
            sub(item, "active", str(active))
            sub(item, "total", str(len(rows)))


def _served_form(rsdl: bytes, prefix: str, model: EngineModel) -> bytes:
    root = parse(rsdl)
    for element in root.iter():
        href = element.get("href")
        if href is None or href.startswith("/"):
            continue
        if href.startswith("?"):
            element.set("href", f"{prefix}{href}")
        elif href == "*":
            element.set("href", f"{prefix}/*")
        else:
            element.set("href", f"{prefix}/{href}")
    if root.find("version") is None:
        major, minor = model.version
        version = etree.Element(
            "version", major=str(major), minor=str(minor), build="0", revision="0"
        )
        description = root.find("description")
        index = root.index(description) + 1 if description is not None else 0
        root.insert(index, version)
    return to_bytes(root)
