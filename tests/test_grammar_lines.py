"""iter_lines reads a block at a time and decodes a block of good lines at once: it must give
exactly what reading each line on its own gives, wherever blocks and bad lines fall."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from raftcheck.grammar import lines


def line_by_line(data: bytes, max_bytes: int) -> list[tuple[int, str | None, str | None]]:
    """The oracle: the whole file split at newlines, each line judged on its own."""
    pieces = data.split(b"\n")
    if pieces[-1] == b"":
        pieces.pop()  # a newline ends the last line, it does not start another
    out: list[tuple[int, str | None, str | None]] = []
    for number, piece in enumerate(pieces, 1):
        if len(piece) > max_bytes:
            out.append((number, None, f"line longer than {max_bytes} bytes, skipped"))
            continue
        try:
            text = piece.decode("utf-8")
        except UnicodeDecodeError:
            out.append((number, None, "not UTF-8 text (binary data?)"))
            continue
        if "\x00" in text:
            out.append((number, None, "NUL bytes in line (binary data?)"))
        else:
            out.append((number, text.rstrip("\r"), None))
    return out


# bytes that make lines of every kind: text, CR, newlines, NUL, a multi-byte character and
# the halves of one (invalid UTF-8 when split or alone)
_PIECES = st.sampled_from([b"a", b"bc", b"\r", b"\n", b"\n", b"\x00", "é".encode(), b"\xc3",
                           b"\xa9", b"\xff", b" ", b"x" * 7])


@settings(max_examples=400, deadline=None)
@given(data=st.lists(_PIECES, max_size=60).map(b"".join), block=st.integers(1, 9),
       max_bytes=st.integers(1, 12))
def test_blocks_read_as_lines_one_by_one(tmp_path_factory: pytest.TempPathFactory, data: bytes,
                                         block: int, max_bytes: int) -> None:
    path = tmp_path_factory.mktemp("lines") / "f.log"
    path.write_bytes(data)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(lines, "READ_BLOCK", block)
        mp.setattr(lines, "MAX_LINE_BYTES", max_bytes)
        got = list(lines.iter_lines(str(path)))
    assert got == line_by_line(data, max_bytes)


def test_a_bad_line_in_a_block_of_good_ones(tmp_path: Path) -> None:
    path = tmp_path / "f.log"
    path.write_bytes(b"one\r\ntwo \xff\nthree\x00\nfour")
    assert list(lines.iter_lines(str(path))) == [
        (1, "one", None), (2, None, "not UTF-8 text (binary data?)"),
        (3, None, "NUL bytes in line (binary data?)"), (4, "four", None)]
