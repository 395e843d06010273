"""Pages' hooks are abstract: a page (or the Tune page's job half) that lacks one cannot be built, even
though Qt widgets construct through Shiboken rather than ``object.__new__``."""

from __future__ import annotations

import pytest

from gui.pages import PAGES
from gui.pages.base import Page
from gui.pages.tune import TunePage
from gui.pages.tune_jobs import TuneJobView


def test_a_page_without_refresh_cannot_be_built(qtbot) -> None:
    class NoRefresh(Page):
        title = "No refresh"

    with pytest.raises(TypeError, match="abstract class NoRefresh .*refresh"):
        NoRefresh(None)


def test_a_page_with_its_hooks_is_built_and_keeps_qt_behaviour(qtbot) -> None:
    class Plain(Page):
        title = "Plain"

        def refresh(self) -> None:
            self.refreshed = True

    page = Plain(None)
    qtbot.addWidget(page)
    page.refresh()
    assert page.refreshed and page.objectName() == "page-Plain"


def test_a_tune_view_lacking_any_hook_cannot_be_built(qtbot) -> None:
    hooks = {"_update_actions", "_show_runs", "reload_runs", "resume"}
    assert hooks <= TuneJobView.__abstractmethods__
    body = {name: (lambda self, *args: None) for name in hooks - {"resume"}} | {"refresh": lambda self: None}
    missing_resume = type("MissingResume", (TuneJobView,), body)
    with pytest.raises(TypeError, match="resume"):
        missing_resume(None)


@pytest.mark.parametrize("page_class", [*PAGES, TunePage], ids=lambda c: c.__name__)
def test_every_page_implements_its_hooks(page_class: type[Page]) -> None:
    assert not page_class.__abstractmethods__
