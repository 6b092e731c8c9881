"""Encrypted ``.dvcx`` bundles: a database file sealed with a passphrase.

Layout (all integers big-endian)::

    offset  size  field
    0       4     magic  b"DVCX"
    4       2     format version (1)
    6       4     scrypt n (a power of two)
    10      4     scrypt r
    14      4     scrypt p
    18      16    scrypt salt
    34      12    AES-GCM nonce
    46      8     length of the database in bytes
    54      16    passphrase check (bytes 32..47 of the scrypt output)
    70      ...   AES-256-GCM ciphertext of the database, then the 16-byte tag

The key is the first 32 bytes of ``scrypt(passphrase, salt, n, r, p, length=48)``; the
whole 70-byte header is the AES-GCM *associated data*, so changing any byte of it (the
parameters, the length, the check) makes decryption fail.  The passphrase check lets a
wrong passphrase be told apart from a damaged file without weakening anything: it is
derived from the passphrase exactly as the key is, and an attacker who can test a guess
against it can test the same guess against the GCM tag.

The passphrase is only ever held in memory: it is read from a file the user names or
typed at a prompt, and it is never logged.  Files up to a few hundred megabytes are
handled in memory (the database, the ciphertext and scrypt's 128 MB at most at once).
"""

from __future__ import annotations

import getpass
import hmac
import logging
import os
import struct
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from dvcoord.errors import DvcoordError

log = logging.getLogger(__name__)

MAGIC = b"DVCX"
FORMAT_VERSION = 1
SUFFIX = ".dvcx"
_HEADER = struct.Struct(">4sHIII16s12sQ16s")
HEADER_SIZE = _HEADER.size  # 70
TAG_SIZE = 16
#: Parameters for new bundles: 128 MB of memory, about half a second on a laptop.
SCRYPT_N = 2**17
SCRYPT_R = 8
SCRYPT_P = 1
#: Bounds accepted when opening a bundle, so a crafted header cannot make scrypt take
#: gigabytes of memory or hours of work.
_MAX_SCRYPT_MEMORY = 256 * 1024 * 1024
_MAX_SCRYPT_P = 16
#: Largest database a bundle may hold (AES-GCM in one piece, and a sane e-mail size).
MAX_DATABASE_BYTES = 1024 * 1024 * 1024
MIN_PASSPHRASE_LENGTH = 8

WRONG_PASSPHRASE = "The passphrase is wrong, or the file was changed after it was sent."


class BundleError(DvcoordError):
    """An encrypted bundle could not be opened."""


class PassphraseNeeded(BundleError):
    """The file is an encrypted bundle and no passphrase was given."""


class WrongPassphrase(BundleError):
    """The passphrase does not open the bundle."""


@dataclass(frozen=True)
class BundleHeader:
    version: int
    n: int
    r: int
    p: int
    salt: bytes
    nonce: bytes
    length: int
    check: bytes

    def pack(self) -> bytes:
        return _HEADER.pack(
            MAGIC,
            self.version,
            self.n,
            self.r,
            self.p,
            self.salt,
            self.nonce,
            self.length,
            self.check,
        )


# --------------------------------------------------------------------------- passphrases
def check_passphrase(passphrase: str | None, *, for_encryption: bool = False) -> str:
    """Return the passphrase, or raise a clear error if it is empty (or too short to seal)."""
    if passphrase is None or passphrase == "":
        raise BundleError("The passphrase is empty; type the passphrase you were given.")
    if for_encryption and len(passphrase) < MIN_PASSPHRASE_LENGTH:
        raise BundleError(
            f"The passphrase is too short: use at least {MIN_PASSPHRASE_LENGTH} characters "
            "(three or four unrelated words are easy to say and hard to guess)."
        )
    return passphrase


def passphrase_strength(passphrase: str) -> tuple[int, str]:
    """A rough strength score 0–4 and a one-line hint for the share dialog."""
    if not passphrase:
        return 0, "Type a passphrase."
    length = len(passphrase)
    kinds = sum(
        (
            any(c.islower() for c in passphrase),
            any(c.isupper() for c in passphrase),
            any(c.isdigit() for c in passphrase),
            any(not c.isalnum() for c in passphrase),
        )
    )
    words = len([w for w in passphrase.replace("-", " ").split() if len(w) >= 3])
    if length < MIN_PASSPHRASE_LENGTH:
        return 0, f"Too short: use at least {MIN_PASSPHRASE_LENGTH} characters."
    if len(set(passphrase)) <= 3:
        return 1, "Weak: too many repeated characters."
    score = 1
    if length >= 12 or (length >= 10 and kinds >= 3):
        score = 2
    if length >= 16 or words >= 3:
        score = 3
    if length >= 24 or words >= 4:
        score = 4
    hints = {
        1: "Weak: longer is better; try three or four unrelated words.",
        2: "Fair: adding another word would make it much stronger.",
        3: "Good.",
        4: "Strong.",
    }
    return score, hints[score]


def strip_one_newline(text: str) -> str:
    if text.endswith("\r\n"):
        return text[:-2]
    if text.endswith("\n") or text.endswith("\r"):
        return text[:-1]
    return text


def read_passphrase_file(path: Path) -> str:
    """The passphrase held in ``path`` (UTF-8; one trailing newline is ignored)."""
    path = Path(path)
    try:
        if path.stat().st_size > 64 * 1024:
            raise BundleError(f"'{path}' is too large to be a passphrase file.")
        data = path.read_bytes()
    except FileNotFoundError:
        raise BundleError(f"There is no passphrase file at '{path}'.") from None
    except IsADirectoryError:
        raise BundleError(f"'{path}' is a folder, not a passphrase file.") from None
    except OSError as exc:
        raise BundleError(
            f"The passphrase file '{path}' cannot be read: {exc.strerror or exc}."
        ) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BundleError(f"The passphrase file '{path}' is not UTF-8 text.") from None
    return strip_one_newline(text)


def obtain_passphrase(
    passphrase_file: str | Path | None, *, confirm: bool = False, for_encryption: bool = False
) -> str:
    """The passphrase from ``--passphrase-file``, else typed at a prompt in a terminal."""
    if passphrase_file:
        passphrase = read_passphrase_file(Path(passphrase_file))
    elif sys.stdin is not None and sys.stdin.isatty():
        passphrase = strip_one_newline(getpass.getpass("Passphrase: "))
        if confirm:
            again = strip_one_newline(getpass.getpass("Passphrase again: "))
            if again != passphrase:
                raise BundleError("The two passphrases differ; nothing was written.")
    else:
        raise PassphraseNeeded(
            "A passphrase is needed: give --passphrase-file FILE, or run dvcoord in a "
            "terminal to type it."
        )
    return check_passphrase(passphrase, for_encryption=for_encryption)


# --------------------------------------------------------------------------- format
def is_bundle(path: Path) -> bool:
    """True if ``path`` starts with the bundle magic (the name does not matter)."""
    try:
        with open(path, "rb") as fh:
            return fh.read(len(MAGIC)) == MAGIC
    except OSError:
        return False


def _derive(passphrase: str, header_salt: bytes, n: int, r: int, p: int) -> tuple[bytes, bytes]:
    kdf = Scrypt(salt=header_salt, length=48, n=n, r=r, p=p)
    out = kdf.derive(passphrase.encode("utf-8"))
    return out[:32], out[32:48]


def _check_parameters(n: int, r: int, p: int, name: str) -> None:
    sane = (
        n >= 2
        and n & (n - 1) == 0
        and 1 <= r <= 64
        and 1 <= p <= _MAX_SCRYPT_P
        and 128 * n * r <= _MAX_SCRYPT_MEMORY
        and n <= 2**24
    )
    if not sane:
        raise BundleError(f"{name} is damaged: its key settings are not ones dvcoord uses.")


def seal(
    data: bytes, passphrase: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P
) -> bytes:
    """The bundle bytes for ``data`` sealed with ``passphrase``."""
    check_passphrase(passphrase, for_encryption=True)
    if len(data) > MAX_DATABASE_BYTES:
        raise BundleError("The database is too large to put in an encrypted bundle.")
    salt = os.urandom(16)
    key, check = _derive(passphrase, salt, n, r, p)
    header = BundleHeader(FORMAT_VERSION, n, r, p, salt, os.urandom(12), len(data), check)
    raw = header.pack()
    return raw + AESGCM(key).encrypt(header.nonce, data, raw)


def read_header(blob: bytes, name: str = "The file") -> BundleHeader:
    """Parse and check a bundle header (raises :class:`BundleError`)."""
    if not blob.startswith(MAGIC):
        raise BundleError(f"{name} is not an encrypted dvcoord bundle.")
    if len(blob) < 6:
        raise BundleError(f"{name} is damaged: it is cut short.")
    (version,) = struct.unpack(">H", blob[4:6])
    if version > FORMAT_VERSION:
        raise BundleError(
            f"{name} was sealed by a newer version of dvcoord (bundle format {version}); "
            "install the newer dvcoord to open it."
        )
    if version < 1:
        raise BundleError(f"{name} is damaged: its format number is not valid.")
    if len(blob) < HEADER_SIZE + TAG_SIZE:
        raise BundleError(f"{name} is damaged: it is cut short.")
    _magic, version, n, r, p, salt, nonce, length, check = _HEADER.unpack(blob[:HEADER_SIZE])
    _check_parameters(n, r, p, name)
    if length > MAX_DATABASE_BYTES:
        raise BundleError(f"{name} is damaged: it claims to hold an impossibly large database.")
    expected = HEADER_SIZE + length + TAG_SIZE
    if len(blob) < expected:
        raise BundleError(f"{name} is damaged: it is cut short (it was not received whole).")
    if len(blob) > expected:
        raise BundleError(f"{name} is damaged: it has extra bytes at its end.")
    return BundleHeader(version, n, r, p, salt, nonce, length, check)


def unseal(blob: bytes, passphrase: str, name: str = "The file") -> bytes:
    """The database bytes inside a bundle, or a clear :class:`BundleError`."""
    check_passphrase(passphrase)
    header = read_header(blob, name)
    key, check = _derive(passphrase, header.salt, header.n, header.r, header.p)
    if not hmac.compare_digest(check, header.check):
        raise WrongPassphrase(WRONG_PASSPHRASE)
    try:
        return AESGCM(key).decrypt(header.nonce, blob[HEADER_SIZE:], blob[:HEADER_SIZE])
    except InvalidTag:
        raise BundleError(
            f"{name} was changed or damaged after it was sealed (its contents fail the "
            "check); ask for it to be sent again."
        ) from None


# --------------------------------------------------------------------------- files
def _atomic_write(dest: Path, data: bytes) -> None:
    dest = Path(dest)
    folder = dest.parent if str(dest.parent) else Path(".")
    fd, tmp_name = tempfile.mkstemp(prefix=".dvcoord-bundle-", suffix=".tmp", dir=folder)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def encrypt_file(src: Path, dest: Path, passphrase: str, **params: int) -> Path:
    """Seal the file ``src`` into the bundle ``dest`` (written atomically)."""
    src, dest = Path(src), Path(dest)
    check_passphrase(passphrase, for_encryption=True)
    size = src.stat().st_size
    if size > MAX_DATABASE_BYTES:
        raise BundleError("The database is too large to put in an encrypted bundle.")
    data = src.read_bytes()
    sealed = seal(data, passphrase, **params)
    del data
    try:
        _atomic_write(dest, sealed)
    except OSError as exc:
        raise DvcoordError(f"Could not write '{dest}': {exc.strerror or exc}.") from None
    log.info("sealed %s (%d bytes)", dest.name, size)
    return dest


def decrypt_file(src: Path, dest: Path, passphrase: str) -> Path:
    """Open the bundle ``src`` and write the database inside it to ``dest``."""
    src, dest = Path(src), Path(dest)
    name = f"'{src.name}'"
    try:
        size = src.stat().st_size
        if size > MAX_DATABASE_BYTES + HEADER_SIZE + TAG_SIZE:
            raise BundleError(f"{name} is too large to be a dvcoord bundle.")
        blob = src.read_bytes()
    except FileNotFoundError:
        raise BundleError(f"There is no file at '{src}'.") from None
    except OSError as exc:
        raise BundleError(f"{name} cannot be read: {exc.strerror or exc}.") from None
    data = unseal(blob, passphrase, name)
    del blob
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    log.info("opened bundle %s (%d bytes)", src.name, len(data))
    return dest
