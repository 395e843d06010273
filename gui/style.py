"""Look and feel: Fusion with a light palette and one style sheet, sized to read well at 1280×800.

Colours carry meaning only together with words (banners say "Verified" / "NOT intact"), so the
app stays usable for colour-blind users and in greyscale screenshots.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

INK = "#1f2933"
MUTED = "#52606d"
ACCENT = "#1d5fa8"
SIDEBAR = "#243447"

STYLE_SHEET = f"""
QWidget {{ color: {INK}; }}
/* The line above would also paint disabled widgets in ink: say "disabled" in grey again. */
QWidget:disabled {{ color: #9aa5b1; }}
#header {{ background: {SIDEBAR}; }}
#header QLabel {{ color: #ffffff; }}
#headerTitle {{ font-size: 15pt; font-weight: 600; }}
#header QPushButton {{ background: #34495e; color: #ffffff; border: 1px solid #4a6278; padding: 5px 14px;
    border-radius: 4px; }}
#header QPushButton:hover {{ background: #3f5871; }}
#sidebar {{ background: #eef2f6; border: none; border-right: 1px solid #d5dde5; font-size: 11pt;
    padding-top: 8px; outline: 0; }}
#sidebar::item {{ padding: 10px 16px; border-left: 4px solid transparent; }}
#sidebar::item:selected {{ background: #dce7f3; color: {INK}; border-left: 4px solid {ACCENT};
    font-weight: 600; }}
#sidebar::item:hover:!selected {{ background: #e4ebf2; }}
#content {{ background: #ffffff; }}
#pageTitle {{ font-size: 15pt; font-weight: 600; }}
#appTitle {{ font-size: 17pt; font-weight: 600; }}
#subtitle, #hint {{ color: {MUTED}; }}
#caption {{ color: {MUTED}; font-weight: 600; }}
#recordHeader {{ font-size: 11pt; }}
#errorText {{ color: #a61b1b; font-weight: 600; }}
#chip {{ border: 1px solid #b8c4ce; border-radius: 3px; padding: 1px 8px; }}
#lockedPlaceholder {{ font-size: 16pt; color: {MUTED}; background: #f4f6f8; }}
QPushButton {{ padding: 5px 12px; }}
QPushButton#primary {{ background: {ACCENT}; color: #ffffff; border: 1px solid #174d89; border-radius: 4px;
    padding: 6px 16px; font-weight: 600; }}
QPushButton#primary:hover {{ background: #2369b8; }}
QPushButton#primary:disabled {{ background: #9fb4cb; border-color: #9fb4cb; color: #eef2f6; }}
QGroupBox {{ font-weight: 600; border: 1px solid #d5dde5; border-radius: 6px; margin-top: 12px;
    padding-top: 8px; }}
QGroupBox::title {{ subcontrol-origin: margin; left: 10px; padding: 0 4px; }}
QTableWidget {{ gridline-color: #e3e8ee; selection-background-color: #cfe0f3; selection-color: {INK};
    alternate-background-color: #f6f8fa; }}
QHeaderView::section {{ background: #eef2f6; padding: 5px 3px; border: none;
    border-bottom: 1px solid #d5dde5; font-weight: 600; }}
QTextEdit {{ border: 1px solid #d5dde5; border-radius: 4px; }}
#banner {{ padding: 8px 12px; border-radius: 4px; font-weight: 600; }}
#banner[state="ok"], #verifyResult[state="ok"] {{ background: #e3f4e8; color: #14532d;
    border: 1px solid #74c69d; }}
#banner[state="error"], #verifyResult[state="error"] {{ background: #fde8e8; color: #7f1d1d;
    border: 1px solid #f19999; }}
#banner[state="warn"] {{ background: #fff4d6; color: #6b4700; border: 1px solid #f0c36d; }}
#banner[state="info"] {{ background: #e6f0fa; color: #123a63; border: 1px solid #9cc2e8; }}
#verifyResult {{ padding: 10px 12px; border-radius: 4px; font-weight: 600; font-size: 11pt; }}
QToolTip {{ color: {INK}; background: #ffffe8; border: 1px solid #c8c8a0; }}
"""


def apply(app: QApplication) -> None:
    """Apply the style to ``app`` (idempotent)."""
    app.setStyle("Fusion")
    palette = QPalette()
    palette.setColor(QPalette.ColorRole.Window, QColor("#f7f9fb"))
    palette.setColor(QPalette.ColorRole.WindowText, QColor(INK))
    palette.setColor(QPalette.ColorRole.Base, QColor("#ffffff"))
    palette.setColor(QPalette.ColorRole.AlternateBase, QColor("#f6f8fa"))
    palette.setColor(QPalette.ColorRole.Text, QColor(INK))
    palette.setColor(QPalette.ColorRole.Button, QColor("#eef2f6"))
    palette.setColor(QPalette.ColorRole.ButtonText, QColor(INK))
    palette.setColor(QPalette.ColorRole.Highlight, QColor("#cfe0f3"))
    palette.setColor(QPalette.ColorRole.HighlightedText, QColor(INK))
    palette.setColor(QPalette.ColorRole.ToolTipBase, QColor("#ffffe8"))
    palette.setColor(QPalette.ColorRole.ToolTipText, QColor(INK))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor("#9aa5b1"))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText, QColor("#9aa5b1"))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor("#9aa5b1"))
    app.setPalette(palette)
    font = QFont(app.font())
    font.setPointSize(10)
    app.setFont(font)
    app.setStyleSheet(STYLE_SHEET)
