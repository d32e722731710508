"""``shared.bulkload.copy_field``: a UTF-8 value as a field of PostgreSQL's COPY text format (read
back through a real COPY in ``tests/integration/test_bulkload_copy.py``)."""

from __future__ import annotations

from shared.bulkload import copy_field


def test_copy_field_escapes_only_what_copy_reads_specially() -> None:
    assert copy_field(b'{"a":"\\u0000 \\\\"}') == b'{"a":"\\\\u0000 \\\\\\\\"}'
    assert copy_field("昆明\t\n\r".encode()) == "昆明\\t\\n\\r".encode()
    plain = "云南春城科技有限公司 \"quoted\"".encode()
    assert copy_field(plain) is plain
