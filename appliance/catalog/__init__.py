"""Typed records over the workspace database: the only SQL outside ``appliance.store``.

One module per record, and that module alone holds its table's SQL: ``datasets`` (datasets and
their imported records), ``deid_versions`` (de-identified versions, their records, who opened them),
``snapshots`` (frozen splits), ``runs`` (tuning runs and baselines, their checkpoints and the state
machine), ``evaluations`` (the typed view of the evaluation stored with a run), ``approvals``
(published versions), ``exports`` (delivered copies), ``api_keys`` (hashes of the server's keys),
``base_models`` (registered base models), ``jobs`` (child-process work), ``settings`` (the
workspace's and the services' settings) and ``users`` (who may sign in, with which role and public
keys). ``base`` is what they share.

Reads take a ``Workspace`` or a connection; writes take the connection of the caller's
``Workspace.transaction`` block, so a change commits with its audit entry or not at all, and refuse
to run outside one. Ids that are counted (runs, snapshots, de-identified versions, approval versions)
are allocated inside that write transaction. ``tests/catalog/test_no_sql_outside.py`` keeps SQL here.
"""
