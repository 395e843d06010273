"""PySide6 desktop shell over the ``appliance`` services (the core library never imports this package)."""
