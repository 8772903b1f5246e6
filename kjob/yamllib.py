"""PyYAML for kjob's commands (`from kjob.yamllib import yaml`), imported without the start-up cost of
a pattern their documents seldom need."""

from __future__ import annotations

import re
from typing import Any

# PyYAML's pure-Python reader compiles this as it is imported (`Reader.NON_PRINTABLE`): a character
# class over every code point, which the regular-expression compiler walks in Python. It was ~60% of
# `import yaml` (~25 of ~45 ms on a slow machine, ~4 ms on a fast one), paid by every `create` and
# `apply`, whose documents the C loader reads without it. The pure-Python loader (a patch given in
# YAML, a field's line looked up for an error, a PyYAML without its C extension) compiles it when it
# first reads.
_NON_PRINTABLE = "[^\t\n\r -~\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"


class _LazyPattern:
    """A compiled pattern that compiles on first use."""

    def __init__(self, pattern: str, flags: int) -> None:
        self._pattern = pattern
        self._flags = flags
        self._compiled: re.Pattern[str] | None = None

    def __getattr__(self, name: str) -> Any:
        if self._compiled is None:
            self._compiled = re.compile(self._pattern, self._flags)
        return getattr(self._compiled, name)


def _compile_unless_unprintable(pattern: Any, flags: int = 0) -> Any:
    # Any other pattern, and this one if a PyYAML release words it otherwise, is compiled as asked.
    if pattern == _NON_PRINTABLE:
        return _LazyPattern(pattern, flags)
    return _compile_now(pattern, flags)


_compile_now = re.compile
re.compile = _compile_unless_unprintable  # type: ignore[assignment]
try:
    import yaml
finally:
    re.compile = _compile_now

__all__ = ["yaml"]
