"""comptoir: a shop ERP / point of sale whose tills sell offline and sync with a hub."""

__version__ = "0.1.0"
