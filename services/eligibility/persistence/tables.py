"""eligibility's own tables."""

from sqlalchemy.orm import registry
from sqlmodel import SQLModel

from shared.events.tables import messaging_tables


class EligibilityTable(SQLModel, registry=registry()):
    pass


metadata = EligibilityTable.metadata
messaging = messaging_tables(metadata)
