"""PySide6 desktop shell over the ``appliance`` services (the core library never imports this package).

    app.py          ``main(argv)``: sign-in window, then the main window
    signin.py       open or create a workspace
    session.py      the open workspace and the password jobs need; lock / resume
    lock.py         inactivity timer (application event filter) and the re-auth dialog
    mainwindow.py   header, sidebar, pages from ``gui.pages.PAGES``
    ops.py          the doorway for short work: ``Op(parent, fn).success(cb).failure(cb).run()``
    jobs.py         the doorway for long work: ``JobRunner`` (QProcess) and ``JobWatcher`` (re-attach)
    server.py       the local model server (``appliance serve``) as a child process, for the Serve page
    widgets.py      banner, tables, form helpers
    job_panel.py    the one job panel every page that runs a job uses: runner, watcher, progress, Cancel
    forms.py        a settings form generated from a config dataclass (fields, types, help text)
    charts.py       a live line chart and a bar chart (QtCharts)
    pages/          one module per page, registered in ``gui/pages/__init__.py``
    screenshots.py  ``python -m gui.screenshots``: every page at 1280x800 on a demo workspace
"""
