"""Subprocess for the kill test: runs a launch spec, printing events, and parks after N steps.

Parking (sleeping inside `should_stop`, which the trainer polls between steps) puts the process in a
known state, past its last checkpoint, for the test to SIGKILL it without racing a fast tiny model.
"""

from __future__ import annotations

import json
import sys
import time

import torch

from appliance.tune.launch import load_spec, run


def main() -> None:
    torch.set_num_threads(1)
    spec, park_after = load_spec(sys.argv[1]), int(sys.argv[2])
    calls = {"n": 0}

    def park() -> bool:
        calls["n"] += 1
        if calls["n"] > park_after:
            print(json.dumps({"event": "parked", "step": park_after}), flush=True)
            time.sleep(3600)
        return False

    run(spec, on_event=lambda event: print(json.dumps(event), flush=True), should_stop=park)


if __name__ == "__main__":
    main()
