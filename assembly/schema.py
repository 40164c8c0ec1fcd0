"""Every table of the app, registered on one metadata: the rooms' models in journey order, then
the audit log and the e-mail outbox. Migrations and anything that creates or checks the whole schema import this."""

from __future__ import annotations

from sqlmodel import SQLModel

from assembly import audit, outbox  # noqa: F401
from assembly.accounts import models as accounts  # noqa: F401
from assembly.assemblies import models as assemblies  # noqa: F401
from assembly.ballots import models as ballots  # noqa: F401
from assembly.deliberation import models as deliberation  # noqa: F401
from assembly.discussion import models as discussion  # noqa: F401
from assembly.drafting import models as drafting  # noqa: F401
from assembly.invitations import models as invitations  # noqa: F401
from assembly.publishing import models as publishing  # noqa: F401
from assembly.recruitment import models as recruitment  # noqa: F401
from assembly.selection import models as selection  # noqa: F401

metadata = SQLModel.metadata
