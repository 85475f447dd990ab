"""Draw the app icons (static/icons/icon-192.png, icon-512.png, maskable variants) with the
standard library only: the favicon's gold diamond on the brand green.

    .venv/bin/python scripts/make_icons.py
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GREEN = (0x0B, 0x5F, 0x59)
GOLD = (0xF5, 0xB7, 0x00)


def png(width: int, height: int, rows: list[bytes]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + row for row in rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def icon(size: int, diamond: float) -> bytes:
    """A square of brand green with a gold diamond whose half-diagonal is `diamond` x size."""
    centre, reach = (size - 1) / 2, diamond * size
    rows = []
    for y in range(size):
        row = bytearray()
        for x in range(size):
            row.extend(GOLD if abs(x - centre) + abs(y - centre) <= reach else GREEN)
        rows.append(bytes(row))
    return png(size, size, rows)


def main() -> None:
    out = ROOT / "static" / "icons"
    out.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        (out / f"icon-{size}.png").write_bytes(icon(size, 0.34))
        (out / f"maskable-{size}.png").write_bytes(icon(size, 0.24))  # inside the maskable safe zone
    print(f"icons written to {out}")


if __name__ == "__main__":
    main()
