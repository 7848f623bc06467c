"""A fresh engine's data: what every new oVirt installation has.

The Default data centre and cluster, the Blank template, one host with a NIC, a data storage
domain, the ovirtmgmt network and its vNIC profile, the root tag, and two users: the admin
and a non-admin one (whose filtered view shows only what it creates). Entities a contract
does not have, and fields its schema does not know, are left out.
"""

from __future__ import annotations

import uuid

from lxml import etree

from contracttest.engine.access import Access
from contracttest.engine.auth import ADMIN, SYSTEM, USER
from contracttest.engine.documents import Fault
from contracttest.engine.operations import Operations
from contracttest.engine.served import BLANK_TEMPLATE, ROOT_TAG
from contracttest.xmlsafe import parse

_NAMESPACE = uuid.UUID("0b7d6a3e-1c2f-4e8a-9a51-6d0c2b7e4f93")

#: (collection, fixed id or None, the entity's fields as XML): created in this order, so
#: references by name find what came before. Both the v3 and the v4 form of a field are
#: given where they differ (attributes or elements); the schema keeps the one it knows.
#: ``$major``/``$minor``: the contract's version.
SEED: tuple[tuple[str, str | None, str], ...] = (
    ("domains", None, "<name>internal-authz</name>"),
    ("datacenters", None, "<name>Default</name><description>The default Data Center</description>"
     "<local>false</local><storage_type>nfs</storage_type>"),
    ("clusters", None, "<name>Default</name><description>The default server cluster</description>"
     "<data_center><name>Default</name></data_center>"
     '<cpu id="Intel Nehalem Family"><type>Intel Nehalem Family</type></cpu>'
     '<version major="$major" minor="$minor"><major>$major</major><minor>$minor</minor></version>'),
    ("templates", BLANK_TEMPLATE, "<name>Blank</name><description>Blank template</description>"
     "<type>server</type><memory>1073741824</memory>"),
    ("hosts", None, "<name>host1</name><address>192.0.2.10</address>"
     "<cluster><name>Default</name></cluster><port>54321</port>"),
    ("storagedomains", None, "<name>data1</name><type>data</type><master>true</master>"
     "<storage><type>nfs</type><address>192.0.2.20</address><path>/exports/data</path></storage>"
     "<available>536870912000</available><used>107374182400</used><committed>0</committed>"),
    ("networks", None, "<name>ovirtmgmt</name><description>Management Network</description>"
     "<data_center><name>Default</name></data_center><mtu>0</mtu><stp>false</stp>"),
    ("vnicprofiles", None, "<name>ovirtmgmt</name><network><name>ovirtmgmt</name></network>"),
    ("tags", ROOT_TAG, "<name>root</name><description>root</description>"),
    ("macpools", None, "<name>Default</name><description>Default MAC pool</description>"
     "<allow_duplicates>false</allow_duplicates><default_pool>true</default_pool>"
     "<ranges><range><from>56:6f:00:00:00:00</from><to>56:6f:00:00:ff:ff</to></range></ranges>"),
    ("schedulingpolicyunits", None, "<name>Memory</name><type>filter</type><enabled>true</enabled>"
     "<internal>true</internal>"),
    ("schedulingpolicyunits", None, "<name>OptimalForEvenDistribution</name><type>weight</type>"
     "<enabled>true</enabled><internal>true</internal>"),
    ("schedulingpolicies", None, "<name>none</name><locked>true</locked>"
     "<default_policy>true</default_policy>"),
    ("operatingsystems", None, "<name>other</name><description>Other OS</description>"),
    ("operatingsystems", None, "<name>rhel_8x64</name><description>Red Hat Enterprise Linux 8.x x64"
     "</description>"),
    ("roles", None, "<name>SuperUser</name><description>Roles management administrator"
     "</description><administrative>true</administrative><mutable>false</mutable>"),
    ("roles", None, "<name>UserRole</name><description>Standard User Role</description>"
     "<administrative>false</administrative><mutable>false</mutable>"),
    ("users", None, f"<name>admin</name><user_name>{ADMIN}</user_name><principal>admin</principal>"
     "<namespace>*</namespace>"),
    ("users", None, f"<name>user</name><user_name>{USER}</user_name><principal>user</principal>"
     "<namespace>*</namespace>"),
)  # fmt: skip

HOST_NIC = (
    '<name>eth0</name><mac address="52:54:00:00:00:01"><address>52:54:00:00:00:01</address>'
    "</mac><speed>1000000000</speed>"
)


def seed(operations: Operations) -> None:
    with operations.store.transaction():
        for collection, entity_id, fields in SEED:
            kind = operations.model.top_kinds.get(collection)
            if kind is None:
                continue
            major, minor = operations.model.version
            fields = fields.replace("$major", str(major)).replace("$minor", str(minor))
            root = _document(operations, kind.element, kind.entity_type, fields)
            fixed = entity_id or str(uuid.uuid5(_NAMESPACE, f"{collection}/{fields[:60]}"))
            try:
                owner = Access.seed_owner(collection, ADMIN)
                row = operations.writes.create(kind, collection, root, SYSTEM, fixed, owner=owner)
            except Fault:
                continue  # a contract whose schema rejects the seed: leave it out
            if collection == "hosts":
                _host_nic(operations, f"hosts/{row.id}")


def _host_nic(operations: Operations, host_path: str) -> None:
    kind = operations.model.kind(("hosts", "{id}", "nics"))
    if kind is None:
        return
    root = _document(operations, kind.element, kind.entity_type, HOST_NIC)
    nic_id = str(uuid.uuid5(_NAMESPACE, f"{host_path}/nics/eth0"))
    try:
        operations.writes.create(kind, f"{host_path}/nics", root, SYSTEM, nic_id)
    except Fault:
        return


def _document(operations: Operations, tag: str, type_name: str, fields: str) -> etree._Element:
    root = parse(f"<{tag}>{fields}</{tag}>".encode())
    _keep_known(operations, root, type_name)
    return root


def _keep_known(operations: Operations, element: etree._Element, type_name: str) -> None:
    """Drop the fields the schema does not know, at any depth."""
    complex_type = operations.model.complex_type(type_name)
    if complex_type is None or complex_type.open:
        return
    for child in list(element):
        known = complex_type.children.get(str(child.tag))
        if known is None:
            element.remove(child)
            continue
        child_type = operations.model.complex_type(known.type)
        for attribute in list(child.attrib):
            if child_type is None or attribute not in child_type.attributes:
                del child.attrib[attribute]
        if len(child):
            _keep_known(operations, child, known.type)
