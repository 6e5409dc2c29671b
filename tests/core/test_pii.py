"""E-mail addresses are recognised and masked wherever landed text is reported."""

import random
import re

import dagster as dg
import pytest

from orders_core.pii import (
    MASK,
    holds_emails,
    looks_like_email,
    names_email,
    redact_emails,
    redact_uri,
    redact_value,
)
from resources.pii import redact_metadata


@pytest.mark.parametrize(
    "text",
    [
        "ann@example.com",
        "Ann.O+tag@Sub.Example.co.uk",
        "mailto:ann@example.com",
        "Ann <ann@example.com>",
        '"ann smith"@example.com',
        "ann@localhost",
        "josé@exämple.org",
        "jose\u0301@example.org",  # decomposed (NFD): a combining mark before the "@"
        "ann@e\u0301xample.org",  # and after it
        "ann\u200b@example.org",  # a zero-width space hiding it
    ],
)
def test_addresses_are_recognised_and_masked(text):
    assert looks_like_email(text)
    masked = redact_emails(text)
    assert "@" not in masked and "<email>" in masked


@pytest.mark.parametrize("text", ["", "north", "@handle", "12.50", "a @ b", None])
def test_other_text_is_left_alone(text):
    assert not looks_like_email(text)
    if text is not None:
        assert redact_emails(text) == text


def test_redaction_keeps_the_text_around_the_address():
    assert redact_emails("invalid_order_id: ann@example.com; x") == "invalid_order_id: <email>; x"
    assert redact_emails("['bob@x.io', 'ok']") == "['<email>', 'ok']"


@pytest.mark.parametrize(
    "uri, masked",
    [
        # A URI percent-encodes a file's name: "%40" is the "@" redact_emails looks for.
        (
            "file:///l/orders/date%3D2025-01-02/from%20ann.lee%40example.org%20.csv",
            "file:///l/orders/date%3D2025-01-02/from%20%3Cemail%3E%20.csv",
        ),
        (
            "s3://b/p/orders/date=2025-01-02/caf%E9%20ann%40example.org",
            "s3://b/p/orders/date=2025-01-02/caf%E9%20%3Cemail%3E",
        ),
        ("file:///l/a%20b%25.csv", "file:///l/a%20b%25.csv"),  # no address: as it was
    ],
)
def test_an_address_in_a_file_uri_is_masked_where_the_uri_encodes_it(uri, masked):
    assert redact_uri(uri) == masked


@pytest.mark.parametrize(
    "name, says",
    [
        ("email", True),
        ("Email Address", True),
        ("E-Mail", True),
        ("contact_mail", True),
        ("bob@example.com", True),  # a header that is really a data row
        ("contact", False),
        ("promo_code", False),
    ],
)
def test_column_names_that_say_email(name, says):
    assert names_email(name) is says


def test_any_value_makes_a_column_hold_emails():
    assert holds_emails([None, "x", "call ann@example.com"])
    assert not holds_emails([None, "x", "@"])


def test_json_like_values_are_masked_keys_included():
    value = {"ann@example.com": ["bob@example.com", 3, ("c@d.ef",)], "n": 1.5}
    assert redact_value(value) == {"<email>": ["<email>", 3, ("<email>",)], "n": 1.5}


def test_metadata_of_every_text_kind_is_masked():
    table = dg.MetadataValue.table(
        records=[dg.TableRecord({"column": "ann@example.com", "rows": 2})],
        schema=dg.TableSchema(
            columns=[dg.TableColumn("column", "string"), dg.TableColumn("rows", "int")]
        ),
    )
    metadata = redact_metadata(
        {
            "plain": "from ann@example.com",
            "text": dg.MetadataValue.text("ann@example.com"),
            "md": dg.MetadataValue.md("| ann@example.com |"),
            "json": dg.MetadataValue.json({"k": ["ann@example.com"]}),
            "table": table,
            "count": 3,
            "int": dg.MetadataValue.int(4),
        }
    )
    assert "@" not in repr(metadata)
    assert metadata["table"].records[0].data == {"column": "<email>", "rows": 2}
    assert metadata["table"].schema == table.schema
    assert metadata["count"] == 3 and metadata["int"] == dg.MetadataValue.int(4)


# The address pattern as first written (a local part may start anywhere): the reference
# for what is masked. pii.EMAIL finds the same first address without rescanning runs.
_REFERENCE = re.compile(
    r"""(?:"[^"\r\n]*"|(?:[\w.%+!#$&*/=?^`{|}~-]|[^\x00-\x7f\s])+)"""
    r"""@(?:(?:[\w-]|[^\x00-\x7f\s])+(?:\.(?:[\w-]|[^\x00-\x7f\s])+)*|\[[^\]\s]*\])"""
)


@pytest.mark.parametrize("seed", range(3))
def test_masking_equals_the_reference_pattern_on_random_text(seed):
    """redact_emails and looks_like_email give what the plain pattern gives, addresses
    back to back (``a@b+c@d``), quoted local parts and odd characters included."""
    rng = random.Random(seed)
    alphabet = list('ab.-_+"@ []\r\n!é1%\u0301\xa0')
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 18)))
        assert redact_emails(text) == _REFERENCE.sub(MASK, text), text
        assert looks_like_email(text) == (_REFERENCE.search(text) is not None), text


def test_a_long_run_without_an_address_is_no_address():
    """'aaa...@!' was scanned again from each character (60,000 of them: 10 s a value)."""
    text = "a" * 60_000 + "@!"
    assert not looks_like_email(text)
    assert redact_emails(text) == text
    assert redact_emails(text + " b@c") == text + " " + MASK


@pytest.mark.parametrize("seed", range(2))
def test_the_engine_pattern_finds_every_address_the_reader_finds(seed):
    """Cleaning quarantines free text by SQL_HOLDS_EMAIL in the engine: every value that
    looks_like_email flags must match there, letters beyond ASCII on either side of the
    '@' included (the engines' [A-Za-z0-9] missed "josé@exämple.org": published)."""
    import duckdb

    from orders_core.pii import SQL_HOLDS_EMAIL

    rng = random.Random(seed)
    alphabet = list('ab.-_+"@ []\r\n\t!é李ß1%(),;<>\u00a0\u0301')
    texts = ["josé@exämple.org", "李@例子.中国", "a@_x", "ann_@x", '"a b"@x', "a@[1.2.3.4]"]
    texts += [
        "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))) for _ in range(5_000)
    ]
    with duckdb.connect() as conn:
        found = conn.execute(
            "SELECT list(regexp_matches(t, ?)) FROM unnest(?) AS u(t)", [SQL_HOLDS_EMAIL, texts]
        ).fetchone()[0]
    missed = [t for t, hit in zip(texts, found, strict=True) if looks_like_email(t) and not hit]
    assert missed == []
    assert not any(hit for t, hit in zip(texts, found, strict=True) if "@" not in t)


def test_check_samples_mask_addresses_as_the_plain_pattern_does():
    """The checks' sample masking (orders_core.sql.quality) finds what its plain pattern
    finds, without rescanning a long run that holds no '@'."""
    from orders_core.sql.quality import SAMPLE_CHARS, format_sample

    reference = re.compile(r"[^\s@'\",()]+@[^\s@'\",()]+")
    rng = random.Random(7)
    for _ in range(20_000):
        text = "".join(rng.choice("ab@ '\",()x\n.") for _ in range(rng.randint(0, 16)))
        assert format_sample([(text,)]) == reference.sub("<e-mail>", repr(text))[:SAMPLE_CHARS]
    assert "<e-mail>" not in format_sample([("a" * 60_000,)])
