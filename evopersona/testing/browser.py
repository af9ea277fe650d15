"""Headless Chromium for the page tests: a screenshot, the DOM after scripts ran, and a blank check.

Uses Debian's `chromium` package (installed by the tests' setup); every call gets a fresh profile
folder and no background networking, so a page can reach nothing but the URL it is given.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync")


def browser() -> str:
    found = next((b for b in BROWSERS if shutil.which(b)), None)
    if found is None:
        raise RuntimeError("no chromium binary found (apt-get install chromium)")
    return found


def _run(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([browser(), *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True,
                          timeout=180, check=False)


def screenshot(url: str, out: Path, profile: Path, size: str = "1280,2000", wait_ms: int = 3000) -> Path:
    """A PNG of `url` after `wait_ms` of (virtual) time for its scripts."""
    _run(profile, f"--screenshot={out}", f"--window-size={size}", f"--virtual-time-budget={wait_ms}", url)
    return out


def dump_dom(url: str, profile: Path, wait_ms: int = 3000) -> str:
    """The serialised DOM of `url` after `wait_ms` of (virtual) time for its scripts."""
    return _run(profile, f"--virtual-time-budget={wait_ms}", "--dump-dom", url).stdout


def png_colours(path: Path) -> int:
    """Distinct colours in an 8-bit RGB/RGBA PNG (a tiny decoder: enough to tell a blank page)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    assert header is not None
    width, height, depth, colour_type = header[0], header[1], header[2], header[3]
    assert depth == 8 and colour_type in (2, 6)
    channels = 3 if colour_type == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * channels
    colours: set[bytes] = set()
    previous = bytearray(stride)
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up, corner = previous[i], previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        if row % 8 == 0:
            colours.update(bytes(line[i:i + 3]) for i in range(0, stride, channels * 4))
        previous = line
    return len(colours)
