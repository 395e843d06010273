#!/bin/sh
# Install or roll back the clinical tuning appliance from a signed offline bundle. See install.py.
#   install.sh BUNDLE_DIR --prefix /opt/appliance --public-key key.pub.pem [--systemd] [--desktop] [--model-dir DIR]
#   install.sh --rollback --prefix /opt/appliance
# The interpreter is $PYTHON, else the first of python3.11 / python3 that is Python 3.11. It runs in
# isolated mode (-I): PYTHONPATH and the user site-packages cannot change what the installer executes;
# -B: no byte-code caches inside the bundle (they would be files its signed manifest does not list).
set -eu
here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
. "$here/find_python.sh"
exec "$py" -I -B "$here/install.py" "$@"
