"""Clinical tuning appliance: the core library. Never imports Qt."""

__version__ = "0.1.0"
