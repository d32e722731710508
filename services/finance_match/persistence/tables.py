"""finance_match's own tables. Its domain tables arrive with its own issue; the messaging tables are here
from the start so that the service has the same shape as every other."""

from sqlalchemy.orm import registry
from sqlmodel import SQLModel

from shared.events.tables import messaging_tables


class FinanceMatchTable(SQLModel, registry=registry()):
    pass


metadata = FinanceMatchTable.metadata
messaging = messaging_tables(metadata)
