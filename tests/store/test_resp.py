"""The hot scripts' command packer writes what redis-py's pack_command writes, byte for byte."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from redis.asyncio import Connection

from bot.store.resp import packed_command

ARG = (
    st.text()
    | st.binary(max_size=9000)  # past redis-py's 6,000-byte split into separate buffers
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
)


@given(st.lists(ARG, max_size=12))
def test_the_packer_matches_redis_py(args: list[str | bytes | int | float]) -> None:
    expected = b"".join(Connection().pack_command("EVALSHA", "f" * 40, 1, *args))
    assert packed_command("EVALSHA", "f" * 40, 1, *args) == expected


def test_a_boolean_or_an_object_is_refused() -> None:
    with pytest.raises(TypeError):
        packed_command("SET", "k", True)
    with pytest.raises(TypeError):
        packed_command("SET", "k", None)  # type: ignore[arg-type]
