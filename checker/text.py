"""Text helpers for what dlc writes anywhere (reports, rule test results, the progress line)."""

from __future__ import annotations

import re

# C0/C1 controls (except tab and newline), lone surrogates and the two XML non-characters:
# they could rewrite a terminal, and XML 1.0 cannot carry them.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def clean(text: object) -> str:
    """`text` as a string with control characters shown as `\\uXXXX` escapes."""
    return _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", str(text))


def plural(count: int, word: str, words: str | None = None) -> str:
    """`1 flow`, `2 flows`; `words` where the plural is not the word and an s."""
    return f"{count:,} {word if count == 1 else words or word + 's'}"
