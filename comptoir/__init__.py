"""comptoir: a shop ERP / point of sale whose tills sell offline and sync with a hub."""

__version__ = "0.2.0"
