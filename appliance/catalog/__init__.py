"""Typed records over the workspace database: the only SQL outside ``appliance.store``.

One module per record, and that module alone holds its table's SQL: ``datasets`` (datasets and
their imported records), ``deid_versions`` (de-identified versions and their records), ``snapshots``
(frozen splits), ``runs`` (tuning runs and baselines, their checkpoints and the state machine),
``approvals`` (published versions) and ``exports`` (delivered copies). Reads take a ``Workspace`` or
a connection; writes take the connection of the caller's ``Workspace.transaction`` block, so a
change commits with its audit entry or not at all. Ids are allocated inside that write transaction.
"""
