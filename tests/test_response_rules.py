"""Response rules on what real engines answer, one case each."""

from __future__ import annotations

from pathlib import Path

from contracttest import Checker, load_contract, load_schema
from contracttest.exchange import Exchange, Request, Response
from tests.corpus_contracts import RSDL, XSD


def test_either_response_type_of_two_gets_at_one_path_is_accepted(corpus: Path) -> None:
    contract = load_contract(corpus / RSDL["3.6"])
    schema = load_schema(corpus / XSD["3.6"])
    uri = "https://e/ovirt-engine/api/clusters/c1/glustervolumes/g1"
    xml = {"content-type": ("application/xml",)}

    def answered(body: bytes) -> list[str]:
        exchange = Exchange(Request("GET", uri), Response(200, "OK", xml, body))
        checker = Checker(contract, schema, frozenset({"response.body.type"}))
        return [v.rule for v in checker.check_exchanges([exchange])]

    volume = b'<gluster_volume href="/ovirt-engine/api/clusters/c1/glustervolumes/g1" id="g1"/>'
    assert answered(volume) == []
    assert answered(b"<vm/>") == ["response.body.type"]
