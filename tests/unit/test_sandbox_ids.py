"""The sandbox's ids are UUIDs of version 4, written as str(uuid.uuid4()) writes them."""
from __future__ import annotations

import uuid

from services.sandbox_provider.ids import new_id


def test_ids_are_random_version_4_uuids_in_the_usual_form():
    ids = [new_id() for _ in range(2000)]  # across several refills of the pool
    assert len(set(ids)) == len(ids)
    for text in ids:
        parsed = uuid.UUID(text)
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122 and str(parsed) == text
