"""registry's own tables."""

from sqlalchemy.orm import registry
from sqlmodel import SQLModel

from shared.events.tables import messaging_tables


class RegistryTable(SQLModel, registry=registry()):
    pass


metadata = RegistryTable.metadata
messaging = messaging_tables(metadata)
