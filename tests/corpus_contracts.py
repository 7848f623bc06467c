"""Which real contract fits which real cassette (the table in the corpus README)."""

from __future__ import annotations

from pathlib import Path

RSDL = {
    "3.3": "rsdl/rsdl_3.3_javasdk_3261073e.xml",
    "3.4": "rsdl/rsdl_3.4_javasdk_374c80a7.xml",
    "3.5": "rsdl/rsdl_3.5_pysdk_d8e42c06.xml",
    "3.6": "rsdl/rsdl_3.6_pysdk_e99bbd10.xml",
    "v3-on-4.x": "rsdl/rsdl_v3-on-engine-4.x_engine_a313ce22.xml",
    "gluster": "rsdl/rsdl_gluster_v3-on-engine-4.x_engine_a313ce22.xml",
}
XSD = {
    "3.3": "xsd/api_3.3_javasdk_3261073e.xsd",
    "3.4": "xsd/api_3.4_javasdk_374c80a7.xsd",
    "3.5": "xsd/api_3.5_pysdk_d8e42c06.xsd",
    "3.6": "xsd/api_3.6_pysdk_e99bbd10.xsd",
    "v3-on-4.x": "xsd/api_v3-on-engine-4.x_engine_6444cfcc.xsd",
}
LINK_COUNTS = {"3.3": 408, "3.4": 500, "3.5": 618, "3.6": 775, "v3-on-4.x": 774, "gluster": 236}

_V3_ON_4X = ("refresher_target_vm", "vm_fetch_", "event_parser_")


def nearest(cassette: Path | str) -> tuple[str, str]:
    """(contract key, API major "v3" or "v4") for a cassette under ``cassettes/vcrpy``.

    v4 cassettes have no real v4 contract in the corpus: they get the v3-on-4.x contract,
    the nearest there is, and are reported apart.
    """
    name = Path(cassette).name
    if name.startswith("deltacloud-rhevm__"):
        return "3.3", "v3"
    if any(marker in name for marker in _V3_ON_4X):
        return "v3-on-4.x", "v3"
    if "refresher_before_migration" in name or "refresher_after_migration" in name:
        return "3.6", "v3"
    return "v3-on-4.x", "v4"


def vcrpy_cassettes(corpus: Path) -> list[Path]:
    return sorted((corpus / "cassettes" / "vcrpy").glob("*.yml"))
