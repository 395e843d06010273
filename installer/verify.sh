#!/bin/sh
# Re-check an installed appliance against its signed bundle manifest. See verify_install.py.
#   verify.sh PREFIX [--public-key key.pub.pem]      exit 0 intact, 4 mismatch, 1 not installed
set -eu
here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
. "$here/find_python.sh"
exec "$py" -I -B "$here/verify_install.py" "$@"
