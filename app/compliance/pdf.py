"""PDFs with reportlab: one waste manifest per service record, and a site's compliance record
(five years of manifests per trap) for inspectors. Pure: they take what to print, return bytes."""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import date

from reportlab.lib.pagesizes import LETTER
from reportlab.pdfgen import canvas

from app.core import clock
from app.models import ServiceRecord, Site, Trap, TrapType

MARGIN = 54
LINE = 15


def _latin1(text: object) -> str:
    """The PDF's standard fonts carry Latin-1: anything else prints as "?" (never an error)."""
    return str(text if text is not None else "").encode("latin-1", "replace").decode("latin-1")


class _Writer:
    def __init__(self, title: str):
        self.buffer = io.BytesIO()
        self.pdf = canvas.Canvas(self.buffer, pagesize=LETTER, pageCompression=0)
        self.pdf.setTitle(_latin1(title))
        self.pdf.setAuthor("FogForge")
        self.width, self.height = LETTER
        self.y = self.height - MARGIN

    def _room(self, lines: int = 1) -> None:
        if self.y - lines * LINE < MARGIN:
            self.pdf.showPage()
            self.y = self.height - MARGIN

    def heading(self, text: str, size: int = 16) -> None:
        self._room(2)
        self.pdf.setFont("Helvetica-Bold", size)
        self.pdf.drawString(MARGIN, self.y, _latin1(text))
        self.y -= LINE + (size - 10)

    def line(self, text: str, bold: bool = False) -> None:
        text = _latin1(text)
        max_chars = 95
        chunks = [text[i : i + max_chars] for i in range(0, len(text), max_chars)] or [""]
        for chunk in chunks[:40]:
            self._room()
            self.pdf.setFont("Helvetica-Bold" if bold else "Helvetica", 10)
            self.pdf.drawString(MARGIN, self.y, chunk)
            self.y -= LINE

    def field(self, label: str, value: object) -> None:
        self.line(f"{label}: {value if value not in (None, '') else '-'}")

    def gap(self) -> None:
        self.y -= LINE / 2

    def bytes(self) -> bytes:
        self.pdf.showPage()
        self.pdf.save()
        return self.buffer.getvalue()


def _record_fields(w: _Writer, record: ServiceRecord) -> None:
    w.field("Manifest id", f"{record.number} (revision {record.revision})")
    if record.superseded_at is not None:
        w.field("Status", f"Superseded by a correction on {record.superseded_at.date().isoformat()}")
    else:
        w.field("Status", "Confirmed by the generator" if record.confirmed else "Awaiting the generator's confirmation")
    w.field("Service date", record.service_date.isoformat())
    w.field("Gallons removed", f"{record.gallons_removed:,}")
    w.field("Trap full before service", f"{record.percent_full} % (grease + solids, of liquid depth)")
    w.field("Transporter", record.provider.name)
    w.field("Transporter registration no.", record.transporter_registration)
    w.field("Vehicle", record.vehicle)
    w.field("Driver", record.driver)
    w.field("Disposal facility", record.disposal_facility)
    w.field("Generator's signer", record.generator_signer)
    if record.notes:
        w.field("Notes", record.notes)


def manifest(record: ServiceRecord, site: Site, verify_url: str) -> bytes:
    """One waste manifest: generator (the site), trap, transporter, disposal, signatures."""
    trap: Trap = record.trap
    w = _Writer(f"Waste manifest {record.number}")
    w.heading(f"Grease trap waste manifest {record.number}")
    w.line("Generator (restaurant site)", bold=True)
    w.field("Business", site.business_name or site.contact_name)
    w.field("Address", ", ".join(p for p in (site.street, site.city, site.postal_code) if p))
    w.field("Trap", f"{TrapType(trap.trap_type).title}, {trap.capacity_gallons:,} gal")
    w.gap()
    w.line("Service", bold=True)
    _record_fields(w, record)
    w.gap()
    w.field("Verify this manifest", verify_url)
    w.line(f"Printed by FogForge on {clock.now().date().isoformat()} (UTC).")
    return w.bytes()


def compliance_record(
    site: Site,
    traps: Iterable[tuple[Trap, list[ServiceRecord], date | None]],
    *,
    authority: str,
    rule_text: str,
    since: str,
    link: str,
) -> bytes:
    """The inspector's record: per trap (type, capacity, next due), every record since `since`,
    newest first, with manifest ids."""
    w = _Writer(f"Compliance record: {site.business_name or site.city}")
    w.heading("Grease trap compliance record")
    w.field("Business", site.business_name or site.contact_name)
    w.field("Address", ", ".join(p for p in (site.street, site.city, site.postal_code) if p))
    if authority or rule_text:
        w.field("Rule", f"{authority}: {rule_text}".strip(": "))
    w.field("Records since", since)
    w.field("Online (read-only)", link)
    for trap, records, next_due in traps:
        w.gap()
        w.heading(f"{TrapType(trap.trap_type).title}, {trap.capacity_gallons:,} gal", size=12)
        w.field("Next service due", next_due.isoformat() if next_due else "no due date")
        if not records:
            w.line("No service recorded on FogForge yet.")
        for record in records:
            w.gap()
            _record_fields(w, record)
    return w.bytes()
