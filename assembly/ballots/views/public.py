"""Checking a receipt code, for anyone holding one (members who voted on paper have no account to
sign in with): it says whether ballots with this code were counted, never what they said.

No sign-in, no cookie. Codes are 80 random bits, so guessing finds nothing; an answer only ever
says that some ballot was counted.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from assembly import db, forms
from assembly.ballots import receipts
from assembly.errors import ActionableError
from assembly.templating import render


async def page(request: Request) -> Response:
    return render(request, "ballots/receipt.html", {"errors": {}, "code": "", "finding": None,
                                                    "checked": False}, block="receipt_form")


async def check(request: Request) -> Response:
    typed = forms.text(await forms.read(request), "code")
    try:
        finding = await db.run(request, receipts.check, typed)
    except ActionableError as error:
        return render(request, "ballots/receipt.html", {
            "errors": {error.field: str(error)}, "code": typed, "finding": None,
            "checked": False}, block="receipt_form", status_code=422)
    return render(request, "ballots/receipt.html", {"errors": {}, "code": typed,
                                                    "finding": finding, "checked": True},
                  block="receipt_form")
