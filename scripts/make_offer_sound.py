"""Write static/audio/new-offer.wav: the short two-note chime the open offers page plays when a
new offer arrives (issue 11). Generated, not downloaded: `python scripts/make_offer_sound.py`."""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

RATE = 11025
NOTES = ((880.0, 0.12), (1318.5, 0.18))  # A5 then E6
OUT = Path(__file__).resolve().parent.parent / "static" / "audio" / "new-offer.wav"


def samples() -> bytes:
    out = bytearray()
    for freq, seconds in NOTES:
        n = int(RATE * seconds)
        for i in range(n):
            envelope = min(1.0, i / (RATE * 0.005)) * (1 - i / n) ** 2  # quick attack, soft decay
            value = 0.45 * envelope * math.sin(2 * math.pi * freq * i / RATE)
            out += struct.pack("<h", int(value * 32767))
    return bytes(out)


def main() -> None:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(OUT), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(samples())
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
