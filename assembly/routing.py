"""Path parameters that are refused (404) when they cannot be what they name: `{name:id}`, a
database id, and `{name:public_id}`, an id we made and showed (`tables.public_id`).

Starlette's `int` takes any number of digits, and a lookup with an id beyond the database's whole
numbers fails inside the database (PostgreSQL's integer stops at 2,147,483,647, SQLite's at
2^63 - 1): a server error for what is just a wrong address. Ids here have at most nine digits,
so the route does not match and the answer is an ordinary 404. A billion rows in any one table
is far beyond what an assembly makes.

Every room's `routes.py` imports this module before declaring its routes.
"""

from __future__ import annotations

import re

from starlette.convertors import Convertor, register_url_convertor

MAX_ID = 999_999_999


class IdConvertor(Convertor[int]):
    regex = "[0-9]{1,9}"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        value = int(value)
        assert 0 <= value <= MAX_ID, f"{value} cannot be an id"
        return str(value)


class PublicIdConvertor(Convertor[str]):
    """`tables.public_id` makes 16 URL-safe characters; a NUL byte or anything else never
    reaches the database (PostgreSQL refuses NUL in text, a server error)."""

    regex = "[A-Za-z0-9_-]{1,32}"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        assert re.fullmatch(self.regex, value), f"{value!r} cannot be a public id"
        return value


register_url_convertor("id", IdConvertor())
register_url_convertor("public_id", PublicIdConvertor())
