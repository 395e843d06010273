"""A walkthrough of the real app under a real X server: ``python -m gui.walkthrough [OUT_DIR]``.

Unlike ``gui.screenshots`` (offscreen, widgets driven from inside), this starts ``Xvfb``, runs the app
as a user would (``python -m gui.app`` on Qt's xcb platform), signs in by typing the password with
``xdotool``, opens every page by clicking its sidebar entry and photographs the whole
screen after each (``xwd``, converted to PNG here with Qt). So it also checks what the
offscreen shots cannot: that the X11 libraries are there, that the window opens, takes the keyboard and
draws. Writes ``walkthrough/NN-<page>.png`` under ``docs/screenshots`` by default.

Needs the ``xvfb``, ``xdotool`` and ``x11-apps`` (xwd) packages, and Qt's X11 libraries
(README, "The desktop app"). The workspace is a throw-away one with synthetic notes (the same as the
offscreen shots, plus the default model when its file is present).
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess  # noqa: S404  (local X tools only, fixed argument lists)
import sys
import tempfile
import time
from pathlib import Path

from gui.screenshots import DEFAULT_OUT, DEMO_PASSWORDS, build_demo_workspace, default_model_file, prepare_model

DISPLAY = ":77"
SIZE = "1280x800x24"
PAGES = ["data", "deid", "tune", "compare", "models", "serve", "audit", "users"]  # the sidebar's order
TOOLS = ("Xvfb", "xdotool", "xwd")
SIDEBAR_ENTRY, SIDEBAR_STEP = (100, 70), 38  # the first sidebar entry's centre and the entries' pitch, in pixels


def _run(*argv: str, env: dict[str, str]) -> str:
    return subprocess.run(argv, env=env, check=True, capture_output=True, text=True, timeout=60).stdout  # noqa: S603


def _wait_window(name: str, env: dict[str, str], timeout: float = 120.0) -> str:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        found = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", name], env=env,  # noqa: S607
                               capture_output=True, text=True, timeout=30)
        if found.returncode == 0 and found.stdout.split():
            return found.stdout.split()[0]
        time.sleep(0.5)
    raise RuntimeError(f"no window named like '{name}' appeared on {env['DISPLAY']}")


def _shot(path: Path, env: dict[str, str]) -> None:
    xwd_to_png(_run_bytes(["xwd", "-root", "-silent"], env), path)


def xwd_to_png(dump: bytes, path: Path) -> None:
    """Write an ``xwd`` dump of a 24/32-bit TrueColor screen (what Xvfb gives) as PNG, with Qt.

    The XWD header is 25 big-endian 32-bit fields; the pixels follow the header, the window name and
    12 bytes per colormap entry. On a little-endian server 32-bit pixels are B, G, R, X bytes (Qt's
    RGB32 in memory) and 24-bit ones B, G, R (Qt's BGR888)."""
    from PySide6.QtGui import QImage

    fields = struct.unpack(">25I", dump[:100])
    header_size, depth, width, height, byte_order = fields[0], fields[3], fields[4], fields[5], fields[7]
    bits_per_pixel, bytes_per_line, ncolors = fields[11], fields[12], fields[19]
    formats = {32: QImage.Format.Format_RGB32, 24: QImage.Format.Format_BGR888}
    if bits_per_pixel not in formats or depth < 24 or byte_order != 0:
        raise RuntimeError(f"xwd: only 24- or 32-bit little-endian TrueColor is read (got {bits_per_pixel} bpp, "
                           f"depth {depth}, byte order {byte_order})")
    start = header_size + 12 * ncolors
    pixels = dump[start:start + bytes_per_line * height]
    image = QImage(pixels, width, height, bytes_per_line, formats[bits_per_pixel])
    # PySide6 6.12's stub types the format as bytes, but the binding refuses bytes and wants str.
    if not image.copy().save(str(path), "PNG"):  # type: ignore[call-overload]
        raise RuntimeError(f"could not write {path}")


def _run_bytes(argv: list[str], env: dict[str, str]) -> bytes:
    return subprocess.run(argv, env=env, check=True, capture_output=True, timeout=60).stdout  # noqa: S603


def walk(out: Path) -> list[Path]:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        raise SystemExit(f"walkthrough: install {', '.join(missing)} first (see the module docstring)")
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="appliance-walk-") as tmp:
        root = Path(tmp) / "ws"
        build_demo_workspace(root, Path(tmp) / "ward.csv")
        model = default_model_file()
        if model is not None:
            prepare_model(root, model)
        env = {**os.environ, "DISPLAY": DISPLAY, "QT_QPA_PLATFORM": "xcb"}
        xvfb = subprocess.Popen(["Xvfb", DISPLAY, "-screen", "0", SIZE, "-nolisten", "tcp"],  # noqa: S607
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        app = None
        try:
            time.sleep(1.5)
            app = subprocess.Popen([sys.executable, "-m", "gui.app", "--workspace", str(root), "--user", "admin"],
                                   env=env)
            window = _wait_window("sign in", env)
            _run("xdotool", "windowfocus", "--sync", window, env=env)
            time.sleep(1.0)
            written.append(out / "00-signin.png")
            _shot(written[-1], env)
            _run("xdotool", "type", "--delay", "20", DEMO_PASSWORDS["admin"], env=env)
            _run("xdotool", "key", "Return", env=env)
            main = _wait_window("Clinical Tuning Appliance —", env)
            _run("xdotool", "windowfocus", "--sync", main, env=env)
            _run("xdotool", "windowsize", main, "1280", "800", env=env)
            time.sleep(2.0)
            for number, page in enumerate(PAGES, 1):
                # A click on the page's entry in the sidebar, as a user would (no window manager here to
                # hand the keyboard to the new window reliably, so the Ctrl+N shortcuts are not used).
                x, y = SIDEBAR_ENTRY[0], SIDEBAR_ENTRY[1] + SIDEBAR_STEP * (number - 1)
                _run("xdotool", "mousemove", "--sync", str(x), str(y), "click", "1", env=env)
                time.sleep(3.0)  # the page refreshes in the background
                written.append(out / f"{number:02d}-{page}.png")
                _shot(written[-1], env)
        finally:
            if app is not None:
                app.terminate()
                try:
                    app.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    app.kill()
            xvfb.terminate()
            xvfb.wait(timeout=20)
    return written


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else DEFAULT_OUT / "walkthrough"
    for path in walk(out):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
