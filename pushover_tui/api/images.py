"""What a file is, from its first bytes: the attachment's type never comes from its name.

Pushover shows PNG, JPEG, GIF, WebP, BMP and HEIC/HEIF images; anything else is refused with a
sentence saying what the file is (a shell script named `fake.png` is "a shell script", not an
image). Pure functions over bytes: the caller reads the head of the file.
"""

from __future__ import annotations

HEAD_SIZE = 512  # enough for every signature below, and for "<svg" after an XML prolog
IMAGE_NAMES = "PNG, JPEG, GIF, WebP, BMP or HEIC"

# ISO media brands (bytes 8-12 after "ftyp") of HEIF stills; "mif1"/"msf1" are HEIF's own.
_HEIC_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"})
_HEIF_BRANDS = frozenset({b"mif1", b"msf1"})
# A BMP's second header starts with its own size: one of these for every known version.
_BMP_DIB_SIZES = frozenset({12, 40, 52, 56, 64, 108, 124})

_OTHER_KINDS = (
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or an office document)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\x7fELF", "a program (ELF executable)"),
    (b"MZ", "a Windows program"),
    (b"II*\x00", "a TIFF image, which Pushover does not show"),
    (b"MM\x00*", "a TIFF image, which Pushover does not show"),
)


def image_type(head: bytes) -> str | None:
    """The content type of an image Pushover shows, from the file's first bytes; else None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"BM") and int.from_bytes(head[14:18], "little") in _BMP_DIB_SIZES:
        return "image/bmp"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _HEIC_BRANDS:
            return "image/heic"
        if brand in _HEIF_BRANDS:
            return "image/heif"
    return None


def describe_content(head: bytes) -> str:
    """What a file that is not such an image is, in a few words ("a shell script", "text")."""
    if not head:
        return "an empty file"
    if head.startswith(b"#!"):
        first_line = head[2:].split(b"\n", 1)[0]
        return "a shell script" if first_line.rstrip().endswith(b"sh") else "a script"
    for signature, kind in _OTHER_KINDS:
        if head.startswith(signature):
            return kind
    if head[4:8] == b"ftyp":
        return "a video or another media file, not a still image"
    text = _as_text(head)
    if text is None:
        return "binary data of an unknown type"
    lowered = text.lstrip("\ufeff \t\r\n").lower()
    if lowered.startswith("<svg") or (lowered.startswith("<?xml") and "<svg" in lowered):
        return "an SVG drawing, which Pushover does not show"
    if lowered.startswith(("<!doctype html", "<html")):
        return "an HTML page"
    return "text"


def _as_text(head: bytes) -> str | None:
    """The head as text, or None for binary data (a NUL, or bytes that are not UTF-8)."""
    if b"\x00" in head:
        return None
    try:
        return head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start >= len(head) - 3:  # a character cut in two by the head's end
            return head[: error.start].decode("utf-8")
        return None
