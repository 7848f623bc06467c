"""The example suite's v3 twin: what a client of a 3.x engine (or of a 4.0-4.2 engine asked for
v3) does, recorded and checked as the v4 examples are.

Each module is the twin of the v4 module of its name: it runs the v4 examples that apply to v3
as they are (imported: the client speaks v3 on the wire, and the helpers read both versions'
shapes), and adds v3's own examples where v4's do not apply:

* disk attachments are v4's: v3 adds a disk under ``vms/{id}/disks`` and detaches it with an
  ``<action><detach>true</detach></action>`` sent with the DELETE;
* SSO came with 4.0: v3 logs in with HTTP Basic, kept as a ``JSESSIONID`` session;
* the API root names the authenticated user in v4 only;
* ``follow=`` is v4's;
* v4 enumerates a VM's type; v3's XSD types it as a free string;
* v3's shapes: ``<status><state>up</state></status>``, ``<version major="3" minor="6"/>``,
  ``<creation_status><state>pending</state></creation_status>``.

``contracttest run`` runs this package instead of the v4 suite when the engine speaks v3
(``--contract`` a 3.x RSDL for the embedded engine, an engine serving one, or
``--engine-api-version 3``); ``pytest contracttest/example/v3`` runs it too.
"""
