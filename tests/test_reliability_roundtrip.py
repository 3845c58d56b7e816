"""Property: any valid customer survives save -> load unchanged, whichever loader reads it.

kehu reads records three ways (yaml-rs for scans, PyYAML's C loader, ruamel for edits); if they
ever disagreed, a record could look fine to `kehu check` and change meaning on the next edit.
"""

from __future__ import annotations

import datetime as dt
import shutil
import string
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kehu_core.computed_fields import SHOWN_BY_KEHU, column_key
from kehu_core.models import CONTROL_CHARACTERS, Customer
from kehu_core.models.fields import shows_something
from kehu_core.models.hostile import BIDI_CONTROLS, LINE_BREAKS, NONCHARACTERS
from kehu_core.models.typed_lists import LIST_SEPARATORS
from kehu_core.services.profile_merge import plain
from kehu_core.store import Store
from kehu_core.yamlio import load_fast, load_roundtrip, load_scan

from .conftest import TODAY

PHONES = ["13912345678", "+86 139 1234 5678", "021-6212 3456", "+1 415 555 2671", "0086 13800138000",
          "+44 20 7946 0958"]
# any text a record may hold: every character but the controls a record refuses (ESC ...;
# tab, line breaks and NEL stay), Unicode's noncharacters (U+FFFE ...) and lone surrogates
REFUSED = CONTROL_CHARACTERS + NONCHARACTERS
text = st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters=REFUSED),
               min_size=1, max_size=60)
# a text of one line (a name, a tag, a title): no line break and no direction control either
ONE_LINE_REFUSED = REFUSED + LINE_BREAKS + BIDI_CONTROLS
line = st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters=ONE_LINE_REFUSED),
               min_size=1, max_size=60)
short = st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters=ONE_LINE_REFUSED),
                min_size=1, max_size=20)
# a tag or an interest: a short text holding none of what separates them in a sheet or an export
word = st.text(alphabet=st.characters(blacklist_categories=["Cs"],
                                      blacklist_characters=ONE_LINE_REFUSED + LIST_SEPARATORS), min_size=1, max_size=20)
ids = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9_-]{0,20}\Z")
emails = st.builds(lambda u, d: f"{u}@{d}.com", st.text(string.ascii_lowercase + string.digits,
                                                         min_size=1, max_size=12),
                   st.text(string.ascii_lowercase, min_size=2, max_size=10))
birthdays = st.one_of(
    st.dates(dt.date(1900, 1, 1), TODAY).map(dt.date.isoformat),  # none after the store's day: refused
    st.dates(dt.date(2000, 1, 1), dt.date(2000, 12, 31)).map(lambda d: f"--{d:%m-%d}"),
)
# (not a field kehu itself writes or shows under that name: refused at every door)
# nor one spelt as one another way (`na_me`, `purchase_s`: computed_fields.column_key), nor as a
# value a plugin computes (tier, points, next_reminder)
_TAKEN = {column_key(k) for k in (*Customer.model_fields, *SHOWN_BY_KEHU, "tier", "tier_rank", "points",
                                  "next_reminder")}
extra_keys = st.from_regex(r"\A[a-z][a-z_]{0,12}\Z").filter(lambda k: k != "conflicts" and column_key(k) not in _TAKEN)
# (an empty unknown field is dropped on save, like an empty known one: not "a change")
extra_values = st.one_of(text, st.integers(-10**12, 10**12), st.booleans(),
                         st.lists(short, min_size=1, max_size=3))


@st.composite
def customers(draw: st.DrawFn) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": draw(ids),
        # a name shows something: not only spaces or invisible format characters (models)
        "name": draw(line.filter(lambda s: len(s.strip()) <= 200 and any(
            not c.isspace() and unicodedata.category(c) != "Cf" for c in s))),
        "phones": draw(st.lists(st.sampled_from(PHONES), max_size=3)),
        "emails": draw(st.lists(emails, max_size=2)),
        "addresses": draw(st.lists(text, max_size=2)),
        "tags": draw(st.lists(word.filter(str.strip), max_size=4)),
        "interests": draw(st.lists(word, max_size=3)),
        "do_not_contact": draw(st.booleans()),
        "created": draw(st.none() | st.dates(dt.date(2000, 1, 1), TODAY)),
    }
    for field in ("organization", "title", "nickname"):
        data[field] = draw(st.none() | line)
    for field in ("level", "owner", "credit"):  # of spaces alone: refused (models.Customer), not "none"
        data[field] = draw(st.none() | line.filter(shows_something))
    for field in ("family", "personality", "notes"):
        data[field] = draw(st.none() | text)
    data["birthday"] = draw(st.none() | birthdays)
    data["lunar_birthday"] = draw(st.none() | st.builds("{:02d}-{:02d}".format, st.integers(1, 12),
                                                        st.integers(1, 30)))
    data.update(draw(st.dictionaries(extra_keys, extra_values, max_size=3)))
    return data


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    root = tmp_path_factory.mktemp("prop") / "store"
    Store.init(root)
    return Store.open(root, today=TODAY)  # the suite's day, whatever the machine's clock says


def _validated(store: Store, data: Any) -> dict[str, Any]:
    return store.customer_model.model_validate(data, context={"region": "CN"}).model_dump()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(data=customers(), new_notes=st.none() | text)
def test_any_valid_customer_survives_save_and_load_unchanged(store: Store, data: dict[str, Any],
                                                            new_notes: str | None) -> None:
    customer = store.customer_model.model_validate(data, context={"region": "CN"})
    want = customer.model_dump()
    folder = store.customer_dir(customer.id)
    shutil.rmtree(folder, ignore_errors=True)
    try:
        store.add_customer(customer)
        path = store.customer_file(customer.id)
        assert store.get(customer.id).model_dump() == want
        # the three loaders read the same record
        fast, scan, rt = load_fast(path), load_scan(path), plain(load_roundtrip(path))
        assert _validated(store, fast) == want
        assert _validated(store, scan) == want
        assert _validated(store, rt) == want
        # and an edit through ruamel changes that field only
        store.update_customer(customer.id, {"notes": new_notes})
        after = store.get(customer.id).model_dump()
        assert after == {**want, "notes": new_notes or None}
        assert _validated(store, load_scan(path)) == after
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_the_demo_store_reads_the_same_with_every_loader() -> None:
    root = Path(__file__).resolve().parents[1] / "records"
    store = Store.open(root)
    for cid in list(store.iter_customer_ids())[:60]:
        path = store.customer_file(cid)
        assert _validated(store, load_scan(path)) == _validated(store, plain(load_roundtrip(path)))
