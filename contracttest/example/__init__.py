"""The example suite: what an oVirt automation team checks, written against ``engine``.

Each module is one area of the v4 API, and each test one thing such a team relies on:

* ``test_lifecycle``: a VM added from Blank, read back, updated, started with cloud-init,
  suspended, stopped and removed; a host through maintenance and back.
* ``test_disks_and_nics``: disks in a storage domain attached and detached; NICs on a vNIC
  profile added, updated and removed.
* ``test_search_and_follow``: ``search=`` by name and status, ``max``, ``follow=`` inlining
  NICs and disk attachments, following references and ``<link rel>``.
* ``test_statistics``: VM, host and NIC statistics present, named and typed.
* ``test_faults``: 400 for a missing parameter, an unreadable body or an invalid value,
  404 for an unknown id, 409 for an action in the wrong state or a name in use.
* ``test_authentication``: SSO and Basic logins refused, and a non-admin user's view.

Every test names what it creates after itself (``lab.Lab``), removes it when it ends, and
asserts on nothing it did not create, so tests run in any order and in parallel. Request
bodies are deterministic (``bodies``), so a replay sends what the recording sent.

Record against the embedded engine, then replay (no engine, no network)::

    python3 -m pytest --pyargs contracttest.example --engine sandbox --record-mode all \\
        --cassette-dir /tmp/cassettes
    python3 -m pytest --pyargs contracttest.example --cassette-dir /tmp/cassettes

Against a real engine: ``--engine https://engine.example.com/ovirt-engine/api
--engine-password ... --engine-ca-file ca.pem``; the non-admin user is ``user@internal``
unless ``CONTRACTTEST_EXAMPLE_USER`` names another (with ``CONTRACTTEST_EXAMPLE_PASSWORD``).
Add ``-n 2`` (pytest-xdist) to either run.
"""
