# Sourced by install.sh and verify.sh: sets $py to a Python 3.11 interpreter or exits 1.
py=${PYTHON:-}
if [ -z "$py" ]; then
    for candidate in python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
            py=$candidate
            break
        fi
    done
fi
if [ -z "$py" ]; then
    echo "appliance-install: no Python 3.11 found; set PYTHON=/path/to/python3.11" >&2
    exit 1
fi
