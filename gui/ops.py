"""The one doorway from the GUI to short work: ``Op(parent, fn).success(cb).failure(cb).run()``.

``fn`` runs on a worker thread; ``success``, ``failure`` and ``progress`` callbacks run on the GUI
thread. Modelled on Anki's ``CollectionOp``.

Serialisation: a ``Workspace`` holds one SQLCipher connection (opened with ``check_same_thread=False``)
that must never be used by two threads at once. Every Op therefore runs on one shared pool with a
single worker thread: ops run one at a time, in the order ``run()`` was called, and the GUI thread
itself never touches the workspace. Closing the workspace (on lock or sign-out) is also an Op, so it
runs after every op queued before it and never pulls the connection from under one.

Hazards:
- ``fn`` must not touch widgets (Qt widgets are not thread-safe). Read what it needs from widgets
  before building the Op and capture plain values.
- A long ``fn`` delays every op queued after it. Anything that may take more than a few seconds on
  a real dataset (de-identification, training, verification of many blobs) is an appliance job
  (``gui.jobs``), not an Op.
- If ``parent`` is destroyed before ``fn`` returns, the callbacks are skipped (the work itself is
  not interrupted).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot
from PySide6.QtWidgets import QWidget

from gui.errors import show_error

T = TypeVar("T")

_pool: QThreadPool | None = None
_pending: set[Op[Any]] = set()  # keeps running ops (and their relays) alive until their callbacks ran
_pending_lock = threading.Lock()


def pool() -> QThreadPool:
    """The single-thread pool every Op runs on (see the module docstring for why one thread)."""
    global _pool
    if _pool is None:
        _pool = QThreadPool()
        _pool.setMaxThreadCount(1)
        # Keep the worker thread: one long-lived thread is easier to reason about than a new one
        # after every idle minute, and costs nothing.
        _pool.setExpiryTimeout(-1)
    return _pool


def idle() -> bool:
    """True when no Op is queued or running (tests and screenshots wait on this)."""
    with _pending_lock:
        return not _pending


class _Relay(QObject):
    """Lives on the GUI thread; the worker emits its signals and Qt queues them to its slots there.

    The slots are methods of this QObject (not plain Python callables) so that the connection's
    receiver has a thread affinity and Qt queues the call instead of running it on the worker.
    """

    succeeded = Signal(object)
    failed = Signal(object)
    progressed = Signal(int, int)

    def __init__(self, op: Op[Any]) -> None:
        super().__init__()
        self._op = op
        self.succeeded.connect(self._on_succeeded)
        self.failed.connect(self._on_failed)
        self.progressed.connect(self._on_progressed)

    @Slot(object)
    def _on_succeeded(self, result: object) -> None:
        self._op._deliver_success(result)

    @Slot(object)
    def _on_failed(self, exc: object) -> None:
        self._op._deliver_failure(exc)

    @Slot(int, int)
    def _on_progressed(self, done: int, total: int) -> None:
        self._op._deliver_progress(done, total)


class _Runnable(QRunnable):
    def __init__(self, op: Op[Any]) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._op = op

    def run(self) -> None:
        self._op._work()


class Op(Generic[T]):
    """A short background operation. Build it, chain callbacks, call ``run()`` once.

    ``fn`` takes no argument, unless ``progress(cb)`` was set: then it is called as
    ``fn(report)`` where ``report(done, total)`` may be called from the worker as often as it likes
    (the GUI shows the latest values).

    Without a ``failure`` callback, an exception from ``fn`` is shown as an error dialog whose text
    is the one-line ``ApplianceError`` message and what to do next (see ``gui.errors``).
    """

    def __init__(self, parent: QObject | None, fn: Callable[..., T]) -> None:
        self._parent = parent
        self._fn = fn
        # Callbacks' return values are ignored: a callback that returns something (a dialog it
        # opened, say) is as welcome as one returning None.
        self._on_success: Callable[[T], object] | None = None
        self._on_failure: Callable[[BaseException], object] | None = None
        self._on_progress: Callable[[int, int], None] | None = None
        self._title = "The operation did not complete"
        self._skip: Callable[[], bool] = lambda: False
        self._relay = _Relay(self)
        self._started = False

    def success(self, cb: Callable[[T], object]) -> Op[T]:
        self._on_success = cb
        return self

    def failure(self, cb: Callable[[BaseException], object]) -> Op[T]:
        self._on_failure = cb
        return self

    def progress(self, cb: Callable[[int, int], None]) -> Op[T]:
        self._on_progress = cb
        return self

    def skip_if(self, predicate: Callable[[], bool]) -> Op[T]:
        """Drop the callbacks if ``predicate()`` is true when they are due (e.g. the session locked
        meanwhile: the page refreshes on unlock anyway, and must not touch the closed workspace)."""
        self._skip = predicate
        return self

    def titled(self, title: str) -> Op[T]:
        """Title of the default error dialog (e.g. "Import failed")."""
        self._title = title
        return self

    def run(self) -> None:
        if self._started:
            raise RuntimeError("an Op runs once; build a new one")
        self._started = True
        with _pending_lock:
            _pending.add(self)
        pool().start(_Runnable(self))

    # -- worker thread ----------------------------------------------------------------------------

    def _work(self) -> None:
        try:
            if self._on_progress is not None:
                result = self._fn(self._report)
            else:
                result = self._fn()
        except BaseException as exc:  # noqa: BLE001  (every failure must reach the GUI thread)
            self._emit(self._relay.failed, exc)
        else:
            self._emit(self._relay.succeeded, result)

    def _report(self, done: int, total: int) -> None:
        self._emit(self._relay.progressed, int(done), int(total))

    def _emit(self, signal: Any, *args: Any) -> None:
        try:
            signal.emit(*args)
        except RuntimeError:
            # The relay's C++ side is gone (application shutting down): nobody is left to tell.
            with _pending_lock:
                _pending.discard(self)

    # -- GUI thread -------------------------------------------------------------------------------

    def _wanted(self) -> bool:
        return (self._parent is None or shiboken6.isValid(self._parent)) and not self._skip()

    def _finish(self) -> None:
        with _pending_lock:
            _pending.discard(self)

    def _deliver_success(self, result: object) -> None:
        self._finish()
        if self._on_success is not None and self._wanted():
            self._on_success(result)  # type: ignore[arg-type]  # the relay signal carries object; it is fn's T

    def _deliver_failure(self, exc: object) -> None:
        self._finish()
        if not self._wanted():
            return
        assert isinstance(exc, BaseException)
        if self._on_failure is not None:
            self._on_failure(exc)
        else:
            parent = self._parent if isinstance(self._parent, QWidget) else None
            show_error(parent, self._title, exc)

    def _deliver_progress(self, done: int, total: int) -> None:
        if self._on_progress is not None and self._wanted():
            self._on_progress(done, total)

