"""Put first on a child process's PYTHONPATH by ``appliance.offline``: Python starts every child with
the offline guard installed, whatever the child runs (a job, torchrun's workers, a library's helper)."""

try:
    import appliance.offline  # noqa: F401
except ImportError:  # the child cannot see the appliance package; the kernel-level guard still holds
    pass
