"""Finding things in v3: ``search`` in the query, ``max`` and ``case_sensitive`` as matrix
parameters (``vms;max=2?search=...``: the client puts them there), references and links
followed; ``follow=`` is v4's."""

from __future__ import annotations

from contracttest.example.test_search_and_follow import (  # noqa: F401 (run here, in v3)
    test_follow_references_and_links,
    test_search_by_name_and_status,
    test_search_by_name_prefix,
    test_search_ignoring_case,
    test_search_sorted_and_limited,
)
