"""``python -m appliance.serve``: the stand-alone runner (see ``appliance.serve.runner``)."""

import sys

from appliance.serve.runner import main

if __name__ == "__main__":  # importing this module (e.g. to check that every module imports) must not run it
    sys.exit(main())
