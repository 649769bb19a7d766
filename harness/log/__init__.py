"""The run log: typed events (events.py), the writer and the read-only reader (store.py)."""

from harness.log.events import SCHEMA_VERSION, BaseEvent, Event, Totals, parse_event
from harness.log.store import RunReader, RunStore, StoreError, Transaction, blob_ref

__all__ = ["SCHEMA_VERSION", "BaseEvent", "Event", "RunReader", "RunStore", "StoreError", "Totals", "Transaction",
           "blob_ref", "parse_event"]
