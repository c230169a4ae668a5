"""SHA-256 for the cold path, without loading OpenSSL.

``hashlib`` imports ``_hashlib``, which loads and initialises libcrypto: 5-9 ms of a
Lambda cold start (bench/README.md), for a few hundred bytes of hashing per process.
CPython also builds its own SHA-256 into a small module (``_sha2`` from 3.12,
``_sha256`` before), which gives the same digests and imports in well under a
millisecond. Anything else, or a Python without those modules, uses hashlib.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # a Protocol class costs a cold start more than this whole module
    from typing import Protocol

    class Hash(Protocol):
        def update(self, data: bytes, /) -> None: ...
        def hexdigest(self) -> str: ...


def _constructor() -> Callable[..., Any]:
    try:
        from _sha2 import sha256  # type: ignore[import-not-found,unused-ignore]  # 3.12+
    except ImportError:
        try:
            from _sha256 import sha256  # type: ignore[import-not-found,no-redef,unused-ignore]
        except ImportError:
            from hashlib import sha256  # type: ignore[assignment,unused-ignore]
    result: Callable[..., Any] = sha256
    return result


_sha256 = _constructor()


def sha256(data: bytes = b"") -> Hash:
    """A SHA-256 hash object, as ``hashlib.sha256(data)`` gives."""
    result: Hash = _sha256(data)
    return result


def short_hash(value: str) -> str:
    """A short, stable tag for logs that never reveals the ID behind it."""
    return sha256(value.encode("utf-8")).hexdigest()[:10]
