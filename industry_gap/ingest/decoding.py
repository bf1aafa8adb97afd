"""Text encoding of CSV/TSV/HTML files, decided over the whole file without holding it in memory.

A 3,000,000-row registry is over a gigabyte of bytes and as much again as text, so the
encoding is decided by streaming passes over the file (UTF-8 is checked to the last byte,
as a whole-file decode would), and `TextSource.open()` then decodes it incrementally.
The decision order and the notes are those of `decode_bytes`, which is this module
applied to bytes in memory:

UTF-16 BOM, then strict UTF-8 (with or without BOM), then UTF-8 and GB18030 line by
line (files pasted together), then UTF-8 with a few broken byte sequences (read as U+FFFD,
noted; validation quarantines the rows that use such a cell), then GB18030, then a guess
(charset_normalizer, whole file).
Trailing NUL padding is ignored and noted.
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO, TextIO

from charset_normalizer import from_bytes

from industry_gap.errors import InputFileError

BLOCK = 1 << 22  # bytes per read
_CONTROL_BYTES = bytes([*range(0, 9), 11, 12, *range(14, 32), 127])
SAVE_AS = "请在 Excel/WPS 中打开后“另存为” .xlsx 或 CSV（UTF-8）格式再试"


def rows_text(rows: list[int], total: int | None = None) -> str:
    """ "第3、5行", or the first ten and the count: "第3、5、…、40等共25行" (`total` when only the first ten are kept)."""
    total = len(rows) if total is None else total
    shown = "、".join(str(r) for r in rows[:10])
    return f"第{shown}行" if total <= 10 else f"第{shown}等共{total}行"


@dataclass
class TextSource:
    """The decoded text of `handle[:end]`; `open()` starts a new pass (one at a time)."""

    handle: BinaryIO
    encoding: str  # as reported in RawTable.encoding ("utf-8+gb18030" for mixed files)
    end: int
    notes: list[str] = field(default_factory=list)
    text: str | None = None  # whole text, only for a guessed encoding
    errors: str = "strict"  # "replace" for a UTF-8 file with a few broken byte sequences

    def open(self) -> TextIO:
        """A text stream with newline="" semantics (what csv wants), decoded as the file is read."""
        if self.text is not None:
            return io.StringIO(self.text, newline="")
        if self.encoding == "utf-8+gb18030":
            raw, codec = _IterReader(_mixed_utf8(self.handle, self.end)), "utf-8-sig"
        else:
            raw, codec = _IterReader(_blocks(self.handle, 0, self.end)), self.encoding
        return io.TextIOWrapper(io.BufferedReader(raw, BLOCK), encoding=codec, errors=self.errors, newline="")


class _IterReader(io.RawIOBase):
    """A read-only byte stream over an iterator of byte blocks."""

    def __init__(self, blocks: Iterator[bytes]):
        self._blocks = blocks
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._pending:
            self._pending = next(self._blocks, b"")
            if not self._pending:
                return 0
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def _blocks(handle: BinaryIO, start: int, end: int) -> Iterator[bytes]:
    handle.seek(start)
    position = start
    while position < end:
        block = handle.read(min(BLOCK, end - position))
        if not block:
            return
        position += len(block)
        yield block


def _read(handle: BinaryIO, start: int, size: int) -> bytes:
    handle.seek(start)
    return handle.read(size)


def _lines(handle: BinaryIO, end: int) -> Iterator[bytes]:
    """Lines as `data.split(b"\\n")` gives them (the piece after the last newline included)."""
    rest = b""
    for block in _blocks(handle, 0, end):
        parts = (rest + block).split(b"\n")
        rest = parts.pop()
        yield from parts
    yield rest


def _decode_error(handle: BinaryIO, end: int, encoding: str) -> UnicodeDecodeError | None:
    """The error a whole-file decode would raise, None when the bytes decode."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        for block in _blocks(handle, 0, end):
            decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as error:
        return error
    return None


def _padding_start(handle: BinaryIO, size: int) -> int:
    """Offset of the trailing run of NUL bytes (== size when there is none)."""
    end = size
    while end > 0:
        start = max(0, end - BLOCK)
        kept = len(_read(handle, start, end - start).rstrip(b"\x00"))
        if kept:
            return start + kept
        end = start
    return 0


def _count(handle: BinaryIO, end: int, byte: bytes) -> int:
    return sum(block.count(byte) for block in _blocks(handle, 0, end))


def is_blank_file(handle: BinaryIO) -> bool:
    """Only spaces, tabs, line breaks and NUL bytes (read in blocks)."""
    return not any(block.strip(b" \t\r\n\x00") for block in _blocks(handle, 0, handle.seek(0, io.SEEK_END)))


def detect(handle: BinaryIO, path: object) -> TextSource:
    """Decide the encoding of a seekable binary file; InputFileError when it is not text."""
    size = handle.seek(0, io.SEEK_END)
    if _read(handle, 0, 2) in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        error = _decode_error(handle, size, "utf-16")
        if error is not None:
            raise InputFileError(path, f"文件声明为 UTF-16 编码但内容有误（{error.reason}）")
        return TextSource(handle, "utf-16", size)
    notes: list[str] = []
    end = size
    body = _padding_start(handle, size)
    if body < size and _count(handle, body, b"\x00") < body // 4:
        # NUL padding after the text (an interrupted copy, fixed-size exports); UTF-16 keeps its zeros.
        notes.append(f"文件末尾有{size - body}个空字节（常见于拷贝中断或系统导出时补齐），已忽略")
        end = body
    sample = _read(handle, 0, min(4096, end))
    if sample.count(b"\x00") > len(sample) // 4:
        # UTF-16 without a BOM: every other byte of ASCII text is zero.
        encoding = "utf-16-le" if sample[1::2].count(0) > sample[0::2].count(0) else "utf-16-be"
        if _decode_error(handle, end, encoding) is not None:
            raise InputFileError(path, f"文件不是文本表格（含有大量空字节），{SAVE_AS}")
        return TextSource(handle, encoding, end, notes)
    sample = _read(handle, 0, min(65536, end))
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    if controls > max(8, len(sample) // 100):
        raise InputFileError(
            path,
            "文件内容不是文字表格（含有大量二进制数据），可能已损坏，或是图片、压缩包等"
            f"被改成了表格的扩展名；{SAVE_AS}",
        )
    if _decode_error(handle, end, "utf-8-sig") is None:
        return TextSource(handle, "utf-8-sig", end, notes)
    mixed = _mixed_note(handle, end)
    if mixed is not None:
        return TextSource(handle, "utf-8+gb18030", end, notes + [mixed])
    broken = _broken_utf8_note(handle, end)
    if broken is not None:
        return TextSource(handle, "utf-8-sig", end, notes + [broken], errors="replace")
    if _decode_error(handle, end, "gb18030") is None:
        return TextSource(handle, "gb18030", end, notes)
    guess = from_bytes(_read(handle, 0, end)).best()
    if guess is not None:
        return TextSource(handle, guess.encoding, end, notes, text=str(guess))
    raise InputFileError(path, f"无法识别文件的文字编码，{SAVE_AS}")


def _mixed_note(handle: BinaryIO, end: int) -> str | None:
    """A note when some lines are UTF-8 and others GBK/GB18030 (exports pasted together), else None.

    A line counts as UTF-8 only with at least two non-ASCII characters that decode as UTF-8:
    a short GBK line can pass as UTF-8 by accident, a longer one practically never.
    """
    gbk_lines: list[int] = []  # the first ten
    gbk_count = utf8_lines = 0
    for number, line in enumerate(_lines(handle, end), start=1):
        try:
            line.decode("utf-8")
            if sum(1 for byte in line if byte >= 0x80) >= 6:
                utf8_lines += 1
        except UnicodeDecodeError:
            try:
                line.decode("gb18030")
            except UnicodeDecodeError:
                return None
            gbk_count += 1
            if len(gbk_lines) < 10:
                gbk_lines.append(number)
    if not utf8_lines or not gbk_count:
        return None
    return (
        f"文件混用了 UTF-8 和 GBK 两种文字编码（{rows_text(gbk_lines, gbk_count)}为 GBK，"
        "常见于把不同系统的导出文件拼接在一起），已逐行识别，请核对这些行的文字"
    )


# A UTF-8 file may carry a few byte sequences that are not UTF-8 (a lone surrogate written by a
# program, a byte cut in two): at most this many lines, and fewer than the good non-ASCII lines.
BROKEN_UTF8_LINES = 10


def _broken_utf8_note(handle: BinaryIO, end: int) -> str | None:
    """A note when the file is UTF-8 but for a few lines with invalid bytes, else None.

    Those bytes are then decoded as U+FFFD (the cell shows "�") rather than refusing the file;
    the table's validation quarantines a row whose used cell holds one.
    """
    broken: list[int] = []
    utf8_lines = 0
    for number, line in enumerate(_lines(handle, end), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            broken.append(number)
            if len(broken) > BROKEN_UTF8_LINES:
                return None
            continue
        if sum(1 for byte in line if byte >= 0x80) >= 6:
            utf8_lines += 1
    if not broken or utf8_lines <= len(broken):
        return None
    return (
        f"文件是 UTF-8 编码，但{rows_text(broken)}有不是有效 UTF-8 的字节（如程序写出的孤立代理字符），"
        "已替换为“\ufffd”（本程序用到的列中含有它的行会被隔离）"
    )


def _mixed_utf8(handle: BinaryIO, end: int) -> Iterator[bytes]:
    """The lines of a mixed file, each decoded as UTF-8 or else GB18030, re-encoded as UTF-8 and joined by "\\n"."""
    first = True
    for line in _lines(handle, end):
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            text = line.decode("gb18030")
        yield (b"" if first else b"\n") + text.encode("utf-8", "surrogatepass")
        first = False


def decode_bytes(data: bytes, path: object) -> tuple[str, str, list[str]]:
    """(text, encoding, notes) of bytes in memory (same decisions as for a file)."""
    source = detect(io.BytesIO(data), path)
    with source.open() as stream:
        return stream.read(), source.encoding, source.notes
