"""The identity vault: author details sealed at rest with a key kept outside the database.

A copied database file must reveal no author, so every identity field is stored as a sealed blob
(AES-256-GCM) and the key lives in the environment (``VAULT_KEY``) or in ``<instance>/vault.key``.

Blob layout (all integers big-endian)::

    version (1 byte) | key id (4) | context tag (8) | nonce (12) | ciphertext + GCM tag

- The key id names which key sealed the blob, so keys can rotate: the first key seals, every key
  listed can unseal (``VAULT_KEY="new,old"`` or one key per line in the key file).
- The context (for example ``"author:42"``) is authenticated as associated data, so a blob copied
  into another row fails to open. The context tag (an HMAC of the context) only lets the error say
  "this blob belongs to another record" instead of the vaguer "corrupted".
- The JSON inside is padded to a multiple of 64 bytes so the blob size does not give away the
  length of a name.

``blind_index`` gives an HMAC of a normalised value so the platform can find the same unit or the
same full name (conflicts of interest, duplicate submissions) without unsealing anything.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
import secrets
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from contest.vntext import nfc, strip_diacritics

__all__ = [
    "ENV_VAR",
    "KEY_FILE_NAME",
    "Vault",
    "VaultError",
    "normalise_for_index",
]

ENV_VAR = "VAULT_KEY"
KEY_FILE_NAME = "vault.key"

_VERSION = 1
_KEY_BYTES = 32
_KEY_ID_LEN = 4
_CTX_TAG_LEN = 8
_NONCE_LEN = 12
_HEADER_LEN = 1 + _KEY_ID_LEN + _CTX_TAG_LEN + _NONCE_LEN
_GCM_TAG_LEN = 16
_PAD_TO = 64
_KIND_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")

_MESSAGES: dict[str, dict[str, str]] = {
    "key_mismatch": {
        "vi": "Khóa không khớp: không thể đọc thông tin tác giả. Hãy khôi phục tệp khóa "
        "({key_file}) từ bản sao lưu.",
        "en": "The key does not match: identities cannot be read. Restore the key file "
        "({key_file}) from backup.",
    },
    "blob_corrupted": {
        "vi": "Dữ liệu niêm phong của bản ghi {context} bị hỏng. Hãy khôi phục cơ sở dữ liệu "
        "từ bản sao lưu.",
        "en": "The sealed data of record {context} is corrupted. Restore the database from backup.",
    },
    "context_mismatch": {
        "vi": "Dữ liệu niêm phong không thuộc bản ghi {context}: có thể đã bị chép từ dòng khác. "
        "Hãy kiểm tra lại cơ sở dữ liệu.",
        "en": "The sealed data does not belong to record {context}: it may have been copied from "
        "another row. Check the database.",
    },
    "key_file_missing": {
        "vi": "Không tìm thấy khóa niêm phong ({key_file}) trong khi cơ sở dữ liệu đã có thông tin "
        "được niêm phong. Hãy khôi phục tệp khóa từ bản sao lưu hoặc đặt biến môi trường "
        "VAULT_KEY.",
        "en": "The vault key ({key_file}) is missing while the database already holds sealed "
        "identities. Restore the key file from backup or set the VAULT_KEY environment variable.",
    },
    "key_invalid": {
        "vi": "Khóa niêm phong trong {source} không hợp lệ: cần chuỗi base64 (urlsafe) của "
        "32 byte. Hãy kiểm tra lại.",
        "en": "The vault key in {source} is invalid: it must be urlsafe base64 of 32 bytes. "
        "Check it.",
    },
    "not_serialisable": {
        "vi": "Không thể niêm phong dữ liệu: chỉ nhận một từ điển các giá trị JSON.",
        "en": "Cannot seal the data: only a dictionary of JSON values is accepted.",
    },
    "invalid_context": {
        "vi": "Ngữ cảnh niêm phong phải là một chuỗi không rỗng, ví dụ 'author:42'.",
        "en": "The sealing context must be a non-empty string such as 'author:42'.",
    },
    "invalid_kind": {
        "vi": "Loại chỉ mục '{kind}' không hợp lệ: dùng chữ thường không dấu, ví dụ 'full_name'.",
        "en": "Index kind '{kind}' is invalid: use lower-case ASCII such as 'full_name'.",
    },
    "empty_value": {
        "vi": "Không lập chỉ mục cho giá trị rỗng (loại '{kind}').",
        "en": "An empty value cannot be indexed (kind '{kind}').",
    },
}


class VaultError(Exception):
    """A vault failure a person must act on; ``message(lang)`` says what to do."""

    def __init__(self, code: str, /, **params: object) -> None:
        self.code = code
        self.params = dict(params)
        super().__init__(self.message("en"))

    def message(self, lang: str = "vi") -> str:
        """Return the sentence for this error in Vietnamese (default) or English (``"en"``)."""
        templates = _MESSAGES[self.code]
        template = templates["en"] if lang.lower().startswith("en") else templates["vi"]
        return template.format(**self.params)


def _hkdf(master: bytes, info: bytes, length: int = 32) -> bytes:
    # Separate keys per purpose, so the index key never equals the encryption key.
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(master)


def _decode_key(text: str, source: str) -> bytes:
    text = text.strip()
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise VaultError("key_invalid", source=source) from None
    if len(raw) != _KEY_BYTES or not text:
        raise VaultError("key_invalid", source=source)
    return raw


def _parse_keys(text: str, source: str) -> list[bytes]:
    parts = [p for p in re.split(r"[\s,]+", text) if p]
    if not parts:
        raise VaultError("key_invalid", source=source)
    return [_decode_key(p, source) for p in parts]


def normalise_for_index(value: str, kind: str) -> str:
    """Return the form of ``value`` that ``Vault.blind_index`` hashes.

    NFC, diacritics stripped (đ -> d), case-folded, runs of anything but letters, digits and "@"
    collapsed to one space. Phone numbers (``kind`` containing "phone") keep digits only, with a
    leading "84" country code turned back into "0", so "+84 912 345 678" equals "0912.345.678".
    """
    folded = strip_diacritics(nfc(value)).casefold()
    if "phone" in kind:
        digits = re.sub(r"\D", "", folded)
        if digits.startswith("84") and len(digits) in (11, 12):
            digits = "0" + digits[2:]
        return digits
    return re.sub(r"[^\w@]+|_+", " ", folded).strip()


@dataclass(frozen=True)
class _Key:
    key_id: bytes
    aead: AESGCM
    ctx_key: bytes
    index_key: bytes


def _derive(master: bytes) -> _Key:
    return _Key(
        key_id=_hkdf(master, b"contest-vault/key-id/v1", _KEY_ID_LEN),
        aead=AESGCM(_hkdf(master, b"contest-vault/aes-256-gcm/v1")),
        ctx_key=_hkdf(master, b"contest-vault/context-tag/v1"),
        index_key=_hkdf(master, b"contest-vault/blind-index/v1"),
    )


class Vault:
    """Seals and unseals identity records; the first key seals, all keys can unseal.

    Attributes set by ``from_env_or_file``: ``source`` ("env", "file" or "created"), ``created``
    (a new key file was written: the app should tell the administrator to back it up), ``key_file``
    (its path) and ``insecure_file`` (the key file is readable by group or others).
    """

    def __init__(self, keys: Sequence[bytes], *, key_file: str = "") -> None:
        """Build a vault from raw 32-byte keys, the current (sealing) key first."""
        if not keys:
            raise VaultError("key_invalid", source="keys")
        for k in keys:
            if len(k) != _KEY_BYTES:
                raise VaultError("key_invalid", source="keys")
        self._keys = [_derive(k) for k in keys]
        self._by_id = {k.key_id: k for k in reversed(self._keys)}
        self.key_file = key_file
        self.source = "keys"
        self.created = False
        self.insecure_file = False

    @staticmethod
    def generate_key() -> str:
        """Return a new random key as urlsafe base64 text (the format of VAULT_KEY)."""
        return base64.urlsafe_b64encode(secrets.token_bytes(_KEY_BYTES)).decode("ascii")

    @classmethod
    def from_env_or_file(
        cls, instance_path: str, env: Mapping[str, str], *, expect_existing: bool = False
    ) -> Vault:
        """Load the key from ``env["VAULT_KEY"]`` (wins) or ``<instance_path>/vault.key``.

        When neither exists a key file is created with mode 0600 and ``created`` is set, unless
        ``expect_existing`` is true (the database already holds sealed data): then a
        ``VaultError("key_file_missing")`` is raised, because a new key could never open old data.
        """
        key_file = os.path.join(instance_path, KEY_FILE_NAME)
        env_value = env.get(ENV_VAR, "")
        if env_value.strip():
            vault = cls(_parse_keys(env_value, ENV_VAR), key_file=key_file)
            vault.source = "env"
            return vault
        created = False
        if not os.path.exists(key_file):
            if expect_existing:
                raise VaultError("key_file_missing", key_file=key_file)
            created = _create_key_file(instance_path, key_file)
        with open(key_file, encoding="ascii") as fh:
            text = fh.read()
        vault = cls(_parse_keys(text, key_file), key_file=key_file)
        vault.source = "created" if created else "file"
        vault.created = created
        vault.insecure_file = bool(os.stat(key_file).st_mode & (stat.S_IRWXG | stat.S_IRWXO))
        return vault

    @property
    def key_id(self) -> str:
        """Hex id of the sealing key (safe to log: derived one-way from the key)."""
        return self._keys[0].key_id.hex()

    def _context_tag(self, key: _Key, context: str) -> bytes:
        return hmac.new(key.ctx_key, context.encode("utf-8"), hashlib.sha256).digest()[
            :_CTX_TAG_LEN
        ]

    def seal(self, obj: Mapping[str, object], *, context: str) -> bytes:
        """Seal a JSON-able dict for one record; ``context`` (e.g. "author:42") binds it to that row."""
        _check_context(context)
        if not isinstance(obj, Mapping):
            raise VaultError("not_serialisable")
        try:
            plain = json.dumps(
                dict(obj), ensure_ascii=False, sort_keys=True, separators=(",", ":")
            ).encode("utf-8")
        except (TypeError, ValueError):
            raise VaultError("not_serialisable") from None
        # Trailing spaces are valid JSON whitespace; padding hides the exact length of names.
        plain += b" " * (-len(plain) % _PAD_TO)
        key = self._keys[0]
        nonce = secrets.token_bytes(_NONCE_LEN)
        header = bytes([_VERSION]) + key.key_id + self._context_tag(key, context) + nonce
        return header + key.aead.encrypt(nonce, plain, header + context.encode("utf-8"))

    def unseal(self, blob: bytes, *, context: str) -> dict:
        """Open a blob sealed for ``context``; raise ``VaultError`` with a clear code otherwise.

        Codes: ``key_mismatch`` (no loaded key sealed it), ``context_mismatch`` (the blob belongs
        to another record), ``blob_corrupted`` (truncated, altered or unknown format).
        """
        _check_context(context)
        blob = bytes(blob)
        if len(blob) < _HEADER_LEN + _GCM_TAG_LEN or blob[0] != _VERSION:
            raise VaultError("blob_corrupted", context=context)
        key = self._by_id.get(blob[1 : 1 + _KEY_ID_LEN])
        if key is None:
            raise VaultError("key_mismatch", key_file=self.key_file or ENV_VAR)
        ctx_tag = blob[1 + _KEY_ID_LEN : 1 + _KEY_ID_LEN + _CTX_TAG_LEN]
        if not hmac.compare_digest(ctx_tag, self._context_tag(key, context)):
            raise VaultError("context_mismatch", context=context)
        header, body = blob[:_HEADER_LEN], blob[_HEADER_LEN:]
        nonce = header[-_NONCE_LEN:]
        try:
            plain = key.aead.decrypt(nonce, body, header + context.encode("utf-8"))
            obj = json.loads(plain.decode("utf-8"))
        except (InvalidTag, UnicodeDecodeError, ValueError):
            raise VaultError("blob_corrupted", context=context) from None
        if not isinstance(obj, dict):
            raise VaultError("blob_corrupted", context=context)
        return obj

    def needs_reseal(self, blob: bytes) -> bool:
        """True when ``blob`` was sealed by an older key (rotate it with ``reseal``)."""
        return bytes(blob[1 : 1 + _KEY_ID_LEN]) != self._keys[0].key_id

    def reseal(self, blob: bytes, *, context: str) -> bytes:
        """Unseal with whichever key sealed ``blob`` and seal again with the current key."""
        return self.seal(self.unseal(blob, context=context), context=context)

    def blind_index(self, value: str, *, kind: str) -> str:
        """HMAC-SHA256 (hex, 128 bits) of ``normalise_for_index(value, kind)`` under ``kind``.

        Equal for "Nguyễn Văn An", "NGUYEN VAN AN" and "nguyễn  văn an"; different across kinds,
        so a unit never collides with a name. Uses the current key: after a key rotation the
        indexes must be recomputed.
        """
        if not isinstance(kind, str) or not _KIND_RE.match(kind):
            raise VaultError("invalid_kind", kind=kind)
        norm = normalise_for_index(value, kind)
        if not norm:
            raise VaultError("empty_value", kind=kind)
        msg = kind.encode("ascii") + b"\x00" + norm.encode("utf-8")
        return hmac.new(self._keys[0].index_key, msg, hashlib.sha256).hexdigest()[:32]


def _check_context(context: str) -> None:
    if not isinstance(context, str) or not context.strip():
        raise VaultError("invalid_context")


def _create_key_file(instance_path: str, key_file: str) -> bool:
    """Write a fresh key file atomically with mode 0600; False if another process won the race."""
    os.makedirs(instance_path, exist_ok=True)
    tmp = f"{key_file}.{secrets.token_hex(8)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)  # the umask could only narrow it, but say it explicitly
        os.write(fd, (Vault.generate_key() + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        # link() never overwrites: two workers starting together end up with one key.
        os.link(tmp, key_file)
        return True
    except FileExistsError:
        return False
    finally:
        os.unlink(tmp)
