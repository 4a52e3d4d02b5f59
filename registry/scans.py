"""What an uploaded entrustment scan really is, told by its first bytes, not by its name.

A name says nothing about the contents: a text file named ``fake.pdf`` must be neither accepted
nor served as a PDF (a browser would trust the type we send).
"""

from __future__ import annotations

from typing import IO

# Content type -> the extensions a file of that type may carry and its first bytes.
KINDS: dict[str, tuple[tuple[str, ...], bytes]] = {
    "application/pdf": ((".pdf",), b"%PDF-"),
    "image/png": ((".png",), b"\x89PNG\r\n\x1a\n"),
    "image/jpeg": ((".jpg", ".jpeg"), b"\xff\xd8\xff"),
}
EXTENSIONS = tuple(ext for extensions, _magic in KINDS.values() for ext in extensions)
LABELS = {"application/pdf": "PDF", "image/png": "PNG", "image/jpeg": "JPG"}


def content_type(head: bytes) -> str | None:
    """The type of a file from its first bytes, or None if it is none of those accepted."""
    for kind, (_extensions, magic) in KINDS.items():
        if head.startswith(magic):
            return kind
    return None


def expected_type(name: str) -> str | None:
    """The type a file's name promises."""
    lowered = name.lower()
    for kind, (extensions, _magic) in KINDS.items():
        if lowered.endswith(extensions):
            return kind
    return None


def read_head(file: IO[bytes]) -> bytes:
    """The first bytes of an open file, leaving it where it was."""
    position = file.tell()
    head = file.read(16)
    file.seek(position)
    return head
