"""Database URLs in messages: passwords replaced by ``***``.

Every message, log line and repr that shows a storage URL passes it (or the whole message)
through :func:`redact`, so a password in ``postgresql+psycopg://user:password@host/db`` is
never printed. This module does not import SQLAlchemy (the CLI uses it on unparsable URLs).
"""

from __future__ import annotations

import re

__all__ = ["redact"]

# ``scheme://user:password@``: the password is what lies between the user's colon and the
# last ``@`` before the host (SQLAlchemy's URL grammar: a password holds no unescaped ``@``).
_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^@\s]*@")


def redact(text: str) -> str:
    """``text`` with the password of every URL in it replaced by ``***``.

    Example:
        >>> redact("cannot reach postgresql+psycopg://me:hunter2@db.example/s")
        'cannot reach postgresql+psycopg://me:***@db.example/s'
    """
    return _PASSWORD.sub(r"\1***@", text)
