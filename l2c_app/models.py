"""Import every table so `SQLModel.metadata` is complete (Alembic, tests, the app)."""

from sqlmodel import SQLModel

from l2c_app.accounting.models import *  # noqa: F403
from l2c_app.accounting.sync.models import *  # noqa: F403
from l2c_app.api.idempotency_models import *  # noqa: F403
from l2c_app.billing.models import *  # noqa: F403
from l2c_app.clients.models import *  # noqa: F403
from l2c_app.contracts.models import *  # noqa: F403
from l2c_app.core.models import *  # noqa: F403
from l2c_app.events.models import *  # noqa: F403
from l2c_app.integrations.models import *  # noqa: F403
from l2c_app.leads.models import *  # noqa: F403
from l2c_app.outbox.models import *  # noqa: F403
from l2c_app.payments.models import *  # noqa: F403
from l2c_app.pipeline.models import *  # noqa: F403
from l2c_app.projects.models import *  # noqa: F403
from l2c_app.quotes.models import *  # noqa: F403
from l2c_app.webhooks_out.models import *  # noqa: F403

metadata = SQLModel.metadata
