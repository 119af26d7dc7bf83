"""The sync engine: tills (nodes) and the hub stay identical, offline-first.

Apps declare their synced models in ``registry`` (reference data, facts, derived);
``capture`` records every write in the same transaction; ``engine`` (node) pushes the
outbox and pulls the hub's change log through ``client``; ``hub`` and ``views`` serve
them; ``apply`` merges what arrives; ``digest`` answers "are we identical?"; ``worker``
runs it all in the background of ``comptoir serve``. ``protocol`` is the wire contract.
"""
