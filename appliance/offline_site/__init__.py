"""Directory put first on child processes' PYTHONPATH by appliance.offline (see sitecustomize.py)."""
