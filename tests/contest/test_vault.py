"""Tests for contest.vault: sealing identities at rest, key handling and blind indexes."""

from __future__ import annotations

import base64
import os
import stat

import pytest

from contest.vault import ENV_VAR, KEY_FILE_NAME, Vault, VaultError, normalise_for_index
from contest.vntext import strip_diacritics

KEY_A = base64.urlsafe_b64encode(bytes(range(32))).decode()
KEY_B = base64.urlsafe_b64encode(bytes(range(100, 132))).decode()

IDENTITY = {
    "full_name": "Nguyễn Thị Hồng Nhung",
    "pen_name": "Hồng Nhung",
    "unit": "Trường THPT Chu Văn An, quận Tây Hồ, Hà Nội",
    "address": "Số 12 ngõ 34 phố Hàng Bông, phường Hàng Trống, quận Hoàn Kiếm",
    "phone": "0912 345 678",
    "email": "hongnhung.nguyen@example.vn",
    "id_number": "001189012345",
}


def vault_of(*keys: str) -> Vault:
    return Vault.from_env_or_file("/nonexistent-instance", {ENV_VAR: ",".join(keys)})


def test_seal_roundtrip_vietnamese_text():
    vault = vault_of(KEY_A)
    blob = vault.seal(IDENTITY, context="author:42")
    assert vault.unseal(blob, context="author:42") == IDENTITY


def test_seal_random_nonce_blobs_differ():
    vault = vault_of(KEY_A)
    assert vault.seal(IDENTITY, context="author:1") != vault.seal(IDENTITY, context="author:1")


def test_seal_pads_length_to_64_byte_buckets():
    vault = vault_of(KEY_A)
    short = vault.seal({"full_name": "Lê Na"}, context="author:1")
    longer = vault.seal({"full_name": "Lê Nguyễn Thị Na"}, context="author:1")
    assert len(short) == len(longer) == 25 + 64 + 16


def test_sealed_blob_contains_no_plaintext_bytes():
    vault = vault_of(KEY_A)
    blob = vault.seal(IDENTITY, context="author:42")
    leaks = []
    for value in IDENTITY.values():
        for form in {
            value,
            strip_diacritics(value),
            value.upper(),
            strip_diacritics(value).upper(),
        }:
            for word in form.split():
                if len(word) >= 4 and word.encode("utf-8") in blob:
                    leaks.append(word)
    assert leaks == []


def test_unseal_wrong_key_says_key_mismatch():
    blob = vault_of(KEY_A).seal(IDENTITY, context="author:42")
    with pytest.raises(VaultError) as err:
        vault_of(KEY_B).unseal(blob, context="author:42")
    assert err.value.code == "key_mismatch"
    assert err.value.message("en") == (
        "The key does not match: identities cannot be read. "
        "Restore the key file (/nonexistent-instance/vault.key) from backup."
    )
    assert err.value.message().startswith("Khóa không khớp: không thể đọc thông tin tác giả.")


def test_unseal_swapped_context_says_context_mismatch():
    vault = vault_of(KEY_A)
    blob = vault.seal(IDENTITY, context="author:42")
    with pytest.raises(VaultError) as err:
        vault.unseal(blob, context="author:43")
    assert err.value.code == "context_mismatch"
    assert err.value.params == {"context": "author:43"}


def test_unseal_forged_context_tag_still_fails_as_corrupted():
    # Copying the context tag from the right row does not help: GCM authenticates the context.
    vault = vault_of(KEY_A)
    blob42 = vault.seal(IDENTITY, context="author:42")
    blob43 = vault.seal(IDENTITY, context="author:43")
    forged = blob42[:5] + blob43[5:13] + blob42[13:]
    with pytest.raises(VaultError) as err:
        vault.unseal(forged, context="author:43")
    assert err.value.code == "blob_corrupted"


def test_unseal_flipped_byte_says_corrupted():
    vault = vault_of(KEY_A)
    blob = bytearray(vault.seal(IDENTITY, context="author:42"))
    blob[40] ^= 0x01
    with pytest.raises(VaultError) as err:
        vault.unseal(bytes(blob), context="author:42")
    assert err.value.code == "blob_corrupted"


def test_unseal_truncated_blob_says_corrupted():
    vault = vault_of(KEY_A)
    with pytest.raises(VaultError) as err:
        vault.unseal(b"\x01abc", context="author:42")
    assert err.value.code == "blob_corrupted"


def test_seal_rejects_non_json_values():
    with pytest.raises(VaultError) as err:
        vault_of(KEY_A).seal({"when": object()}, context="author:1")
    assert err.value.code == "not_serialisable"


def test_seal_rejects_empty_context():
    with pytest.raises(VaultError) as err:
        vault_of(KEY_A).seal(IDENTITY, context=" ")
    assert err.value.code == "invalid_context"


def test_rotation_old_blob_opens_and_reseals_with_new_key():
    old_blob = vault_of(KEY_A).seal(IDENTITY, context="author:7")
    rotated = vault_of(KEY_B, KEY_A)
    assert rotated.needs_reseal(old_blob) is True
    new_blob = rotated.reseal(old_blob, context="author:7")
    assert rotated.needs_reseal(new_blob) is False
    assert vault_of(KEY_B).unseal(new_blob, context="author:7") == IDENTITY


def test_key_file_created_with_mode_0600_and_reused(tmp_path):
    instance = tmp_path / "instance"
    first = Vault.from_env_or_file(str(instance), {})
    key_file = instance / KEY_FILE_NAME
    assert (first.created, first.source) == (True, "created")
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert sorted(os.listdir(instance)) == [KEY_FILE_NAME]
    blob = first.seal(IDENTITY, context="author:1")
    second = Vault.from_env_or_file(str(instance), {})
    assert (second.created, second.source, second.insecure_file) == (False, "file", False)
    assert second.unseal(blob, context="author:1") == IDENTITY


def test_key_file_group_readable_flagged_insecure(tmp_path):
    (tmp_path / KEY_FILE_NAME).write_text(KEY_A + "\n")
    os.chmod(tmp_path / KEY_FILE_NAME, 0o644)
    assert Vault.from_env_or_file(str(tmp_path), {}).insecure_file is True


def test_env_var_wins_over_key_file(tmp_path):
    (tmp_path / KEY_FILE_NAME).write_text(KEY_A + "\n")
    from_env = Vault.from_env_or_file(str(tmp_path), {ENV_VAR: KEY_B})
    assert from_env.source == "env"
    assert from_env.key_id == vault_of(KEY_B).key_id
    assert from_env.key_id != vault_of(KEY_A).key_id


def test_missing_key_with_existing_data_raises(tmp_path):
    with pytest.raises(VaultError) as err:
        Vault.from_env_or_file(str(tmp_path), {}, expect_existing=True)
    assert err.value.code == "key_file_missing"
    assert os.listdir(tmp_path) == []


def test_invalid_env_key_raises_key_invalid():
    with pytest.raises(VaultError) as err:
        Vault.from_env_or_file("/nonexistent-instance", {ENV_VAR: "too-short"})
    assert (err.value.code, err.value.params) == ("key_invalid", {"source": "VAULT_KEY"})


def test_blind_index_equal_across_case_spacing_diacritics():
    vault = vault_of(KEY_A)
    forms = ["Nguyễn Văn An", "NGUYEN VAN AN", "nguyễn  văn an", "Nguye\u0303n Va\u0306n An"]
    assert len({vault.blind_index(f, kind="full_name") for f in forms}) == 1


def test_blind_index_differs_across_kinds_and_keys():
    a = vault_of(KEY_A)
    assert a.blind_index("Chu Văn An", kind="full_name") != a.blind_index("Chu Văn An", kind="unit")
    assert a.blind_index("Chu Văn An", kind="unit") != vault_of(KEY_B).blind_index(
        "Chu Văn An", kind="unit"
    )


def test_blind_index_phone_formats_equal():
    vault = vault_of(KEY_A)
    forms = ["0912 345 678", "0912.345.678", "+84 912 345 678"]
    assert len({vault.blind_index(f, kind="phone") for f in forms}) == 1


def test_blind_index_is_32_hex_chars_and_stable():
    value = vault_of(KEY_A).blind_index("Trường THPT Chu Văn An", kind="unit")
    assert value == vault_of(KEY_A).blind_index("TRUONG THPT CHU VAN AN.", kind="unit")
    assert len(value) == 32
    assert set(value) <= set("0123456789abcdef")


def test_blind_index_empty_value_raises():
    with pytest.raises(VaultError) as err:
        vault_of(KEY_A).blind_index(" , ", kind="unit")
    assert (err.value.code, err.value.message("en")) == (
        "empty_value",
        "An empty value cannot be indexed (kind 'unit').",
    )


def test_normalise_for_index_forms():
    assert normalise_for_index("  Đặng  Thị Hoà, ", "full_name") == "dang thi hoa"
    assert normalise_for_index("(+84) 24 3825 1234", "phone") == "02438251234"
