"""Tick boxes in a report's .docx through LibreOffice itself, as a person clicking them
would, and save it as .docx again (issue 16's "a real word processor").

    /usr/bin/python3 libreoffice_tick.py SRC.docx DST.docx [--tick NAME]... \\
        [--append NAME=TEXT]... --profile DIR

Run with Debian's python3 (python3-uno gives it ``uno``), not the project's virtual
environment. It starts ``soffice --headless`` on a private pipe with its own profile,
opens SRC hidden, and for each ``--tick`` sets the checkbox content control holding the
bookmark NAME (``_b2b_<difference id>_<choice>``) checked with its ☒ glyph, as a click
does; ``--append`` types TEXT at the end of the paragraph holding bookmark NAME (a value
typed after "Neither – correct value:"). Then it saves DST with Word's filter ("MS Word
2007 XML") and closes LibreOffice. Prints what it ticked; exit code 2 if a box was not
found.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

import uno  # type: ignore[import-not-found]  # Debian's python3-uno
from com.sun.star.beans import PropertyValue  # type: ignore[import-not-found]

TICKED = "\u2612"
EMPTY = "\u2610"


def _prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def _connect(pipe: str, proc: subprocess.Popen):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.monotonic() + 90
    while True:
        try:
            return resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
        except Exception:  # NoConnectException until soffice listens
            if proc.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _controls(text, out):
    """Every content control in a text and its tables, with the bookmarks inside it."""
    paragraphs = text.createEnumeration()
    while paragraphs.hasMoreElements():
        par = paragraphs.nextElement()
        if par.supportsService("com.sun.star.text.TextTable"):
            for name in par.getCellNames():
                _controls(par.getCellByName(name), out)
            continue
        portions = par.createEnumeration()
        while portions.hasMoreElements():
            portion = portions.nextElement()
            if portion.TextPortionType != "ContentControl":
                continue
            cc = portion.ContentControl
            names = []
            inner = cc.createEnumeration()
            while inner.hasMoreElements():
                part = inner.nextElement()
                if part.TextPortionType == "Bookmark":
                    names.append(part.Bookmark.getName())
            out.append((cc, names))
    return out


def _tick(cc) -> None:
    """What a click on an unticked checkbox does: checked, and its glyph ☒."""
    cc.Checked = True
    inner = cc.createEnumeration()
    while inner.hasMoreElements():
        part = inner.nextElement()
        if part.TextPortionType == "Text" and EMPTY in part.getString():
            part.setString(part.getString().replace(EMPTY, TICKED))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--tick", action="append", default=[])
    ap.add_argument("--append", action="append", default=[])
    ap.add_argument("--profile", required=True)
    ap.add_argument("--soffice", default="soffice")
    args = ap.parse_args()
    pipe = f"b2btick{os.getpid()}"
    proc = subprocess.Popen(
        [args.soffice, "--headless", "--invisible", "--norestore", "--nologo",
         "--nodefault", f"-env:UserInstallation=file://{os.path.abspath(args.profile)}",
         f"--accept=pipe,name={pipe};urp;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    missing = []
    try:
        ctx = _connect(pipe, proc)
        desktop = ctx.ServiceManager.createInstanceWithContext(
            "com.sun.star.frame.Desktop", ctx)
        doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(
            os.path.abspath(args.src)), "_blank", 0, (_prop("Hidden", True),))
        controls = _controls(doc.getText(), [])
        for name in args.tick:
            found = [cc for cc, names in controls if name in names and cc.Checkbox]
            if not found:
                missing.append(name)
            for cc in found:
                _tick(cc)
                print("ticked", name)
        marks = doc.getBookmarks()
        for spec in args.append:
            name, _, text = spec.partition("=")
            if not marks.hasByName(name):
                missing.append(name)
                continue
            anchor = marks.getByName(name).getAnchor()
            cursor = anchor.getText().createTextCursorByRange(anchor.getEnd())
            cursor.gotoEndOfParagraph(False)
            cursor.setString(text)
            print("typed after", name)
        doc.storeToURL(uno.systemPathToFileUrl(os.path.abspath(args.dst)),
                       (_prop("FilterName", "MS Word 2007 XML"),))
        doc.close(True)
        try:
            desktop.terminate()
        except Exception:  # noqa: BLE001  (the bridge goes as soffice quits: any error)
            pass
    finally:
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
    if missing:
        print("not found:", ", ".join(missing), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
