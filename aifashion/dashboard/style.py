"""The dashboard's look: its CSS, the header with the help line, and the column box."""

from __future__ import annotations

import html
import os

import ipywidgets as W

CSS = """
<style>
.aif-app { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222; }
.aif-app h1 { font-size: 1.5em; margin: 0.2em 0 0.1em 0; }
.aif-app h3 { font-size: 1.1em; margin: 0.3em 0 0.4em 0; border-bottom: 2px solid #c8306a; padding-bottom: 2px; }
.aif-intro { color: #555; margin-bottom: 0.6em; }
.aif-col { border: 1px solid #e3e3e3; border-radius: 8px; padding: 8px 10px; background: #fcfcfc; }
.aif-muted { color: #777; font-size: 0.9em; }
.aif-error { color: #b00020; font-weight: 600; }
.aif-download-link { font-weight: 600; color: #1a5fb4; }
.aif-app .aif-status .widget-html-content, .aif-app .aif-message .widget-html-content,
.aif-app .aif-download-pattern .widget-html-content,
.aif-app .aif-download-result .widget-html-content { line-height: 1.45; }
.aif-app img.aif-picture { border-radius: 4px; border: 1px solid #ddd; background: #fff; object-fit: contain; }
</style>
"""


def help_line() -> str:
    """One line of help for the page (plain text). Under ``aifashion dashboard`` it says when an
    unused page's session ends (``$AIFASHION_DASHBOARD_IDLE_TIMEOUT``, set by the CLI)."""
    text = (
        "Pick a pattern (1) and a garment or your own photo (2), then place the pattern (3); "
        "downloads go straight to your browser."
    )
    idle = os.environ.get("AIFASHION_DASHBOARD_IDLE_TIMEOUT", "")
    if idle.isdigit() and int(idle) > 0:
        minutes = max(1, round(int(idle) / 60))
        text += f" A page left unused for {minutes} minute{'s' if minutes != 1 else ''} stops: reload it to go on."
    return text


def header() -> W.HTML:
    return W.HTML(
        CSS + "<h1>aifashion · try-on</h1><div class='aif-intro aif-help'>" + html.escape(help_line()) + "</div>"
    )


def column(title: str, *children: W.Widget) -> W.VBox:
    """One of the page's three columns: a titled, bordered box."""
    box = W.VBox(
        [W.HTML(f"<h3>{html.escape(title)}</h3>"), *children],
        layout=W.Layout(flex="1 1 0", min_width="320px", max_width="460px", margin="0 6px 8px 0"),
    )
    box.add_class("aif-col")
    return box
