"""Course media are checked by their content, not their extension: audio must decode
(mutagen), video must be a real MP4 (its atom tree, read by mutagen) or WebM (its EBML
header), captions must parse as WebVTT. Each check raises ValidationError with a message
for the director; the admin's course form runs them on upload."""

import re

import mutagen
from django.core.exceptions import ValidationError
from mutagen.mp4 import Atoms

# WebVTT cue timings: (hh:)mm:ss.ttt --> (hh:)mm:ss.ttt, then optional cue settings.
_TIMESTAMP = r"(?:(\d{2,}):)?([0-5]\d):([0-5]\d)\.(\d{3})"
_TIMING = re.compile(rf"^{_TIMESTAMP}[ \t]+-->[ \t]+{_TIMESTAMP}(?:[ \t].*)?$")
_EBML_MAGIC = b"\x1a\x45\xdf\xa3"
_MAX_CAPTIONS_BYTES = 5 * 1024 * 1024


def _seconds(hours, minutes, seconds, millis) -> float:
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + int(millis) / 1000


def audio_check(upload) -> None:
    try:
        upload.seek(0)
        info = mutagen.File(upload)
    except (mutagen.MutagenError, OSError, ValueError, KeyError, IndexError):
        info = None
    finally:
        upload.seek(0)
    if info is None or not getattr(info.info, "length", 0):
        raise ValidationError(
            "This file is not playable audio. Upload an MP3, M4A, Ogg, Opus or WAV recording."
        )


def video_check(upload) -> None:
    upload.seek(0)
    head = upload.read(64)
    upload.seek(0)
    if head.startswith(_EBML_MAGIC) and b"webm" in head:
        return
    try:
        atoms = Atoms(upload)
        atoms.path(b"moov", b"mvhd")
        atoms.path(b"moov", b"trak")
        ok = atoms.atoms[0].name == b"ftyp"
    except (mutagen.MutagenError, KeyError, IndexError, ValueError, OSError):
        ok = False
    finally:
        upload.seek(0)
    if not ok:
        raise ValidationError("This file is not an MP4 or WebM video.")


def captions_check(upload) -> None:
    """The file's structure as WebVTT requires it: the WEBVTT signature, then cues each
    with a valid timing line (start no later than end)."""
    upload.seek(0)
    raw = upload.read(_MAX_CAPTIONS_BYTES + 1)
    upload.seek(0)
    if len(raw) > _MAX_CAPTIONS_BYTES:
        raise ValidationError("Captions files are at most 5 MB.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError("Captions must be UTF-8 text (a WebVTT .vtt file).") from None
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if not re.match(r"^WEBVTT(?:[ \t].*)?$", lines[0]):
        raise ValidationError("This is not a WebVTT file: its first line must be “WEBVTT”.")
    cues = 0
    for number, line in enumerate(lines[1:], start=2):
        if "-->" not in line:
            continue
        timing = _TIMING.match(line.strip())
        if timing is None:
            raise ValidationError(f"Line {number} is not a valid cue timing: “{line[:60]}”.")
        start, end = _seconds(*timing.groups()[:4]), _seconds(*timing.groups()[4:])
        if end < start:
            raise ValidationError(f"Line {number}: the cue ends before it starts.")
        cues += 1
    if not cues:
        raise ValidationError("This WebVTT file has no captions (no cue timings).")
