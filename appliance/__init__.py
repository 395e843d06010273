"""Clinical tuning appliance: the core library. Never imports Qt.

Importing the package enforces offline operation first (``appliance.offline``): every entry point,
the CLI, the GUI and jobs, gets the offline switches and the socket guard before any other import.
"""

from appliance import offline as offline  # noqa: I001  (must run before anything else)

__version__ = "0.1.0"
