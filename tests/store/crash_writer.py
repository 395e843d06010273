"""Child process for the crash test: keeps changing a workspace until it is killed.

Usage: python crash_writer.py WORKSPACE SEED
Each loop opens the workspace (so housekeeping runs too) and does one change: a blob, a user added
or removed, a password change, or a key rotation.
"""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path

from appliance.store.keyslots import TEST_KDF
from appliance.workspace import Workspace


def main() -> None:
    root, seed = Path(sys.argv[1]), int(sys.argv[2])
    rng = random.Random(seed)
    scratch = root.parent / "crash-src"
    scratch.mkdir(exist_ok=True)
    step = 0
    print("ready", flush=True)  # imports done: the parent's random delay starts now, whatever the machine's load
    while True:
        step += 1
        with Workspace.open(root, "admin", "admin-crash-passphrase") as ws:
            op = rng.choice(["blob", "blob", "blob", "add", "remove", "passwd", "rotate"])
            if op == "blob":
                src = scratch / f"src-{seed}-{step}.bin"
                src.write_bytes(os.urandom(rng.randint(0, 1536 * 1024)))
                ws.put_blob(src, "crash")
                src.unlink()
            elif op == "add":
                ws.add_user(f"u{seed}x{step}", rng.choice(["informaticist", "reviewer"]), "user-crash-passphrase",
                            kdf=TEST_KDF)
            elif op == "remove":
                others = [u.name for u in ws.users() if u.name != "admin"]
                if others:
                    ws.remove_user(rng.choice(others))
            elif op == "passwd":
                ws.change_password("admin-crash-passphrase", kdf=TEST_KDF)
            else:
                ws.rotate_key()


if __name__ == "__main__":
    main()
