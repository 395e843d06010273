"""The page registry: the main window shows one sidebar entry per class in ``PAGES``, in this order.

Adding a page is adding one module that defines a ``gui.pages.base.Page`` subclass (with ``title``,
``roles_allowed`` and ``refresh``) and one line here. Pages talk to the core only through Ops
(``gui.ops``) for short work and appliance jobs (``gui.jobs``) for long work.
"""

from __future__ import annotations

from gui.pages.audit import AuditPage
from gui.pages.base import Allowed, Page
from gui.pages.compare import ComparePage
from gui.pages.data import DataPage
from gui.pages.deid import DeidPage
from gui.pages.models import ModelsPage
from gui.pages.serve import ServePage
from gui.pages.tune import TunePage
from gui.pages.users import UsersPage

PAGES: list[type[Page]] = [
    DataPage,
    DeidPage,
    TunePage,
    ComparePage,
    ModelsPage,
    ServePage,
    AuditPage,
    UsersPage,
]

__all__ = ["PAGES", "Allowed", "Page"]
