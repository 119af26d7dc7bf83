"""The fiscal journal on a post's database: chained, signed and verified fiscal records.

:mod:`comptoir.fiscal` is the pure core (keys, canonical serialization, chain link and
verify); this app puts it to work on stored records:

- :class:`~comptoir.journal.models.ChainedFact`: the abstract mixin every fiscal record
  model derives from (chain sequence, version, previous hash, hash, signature, and the
  snapshots the hash covers: the store's name and the post's prefix when it was made);
- :mod:`.kinds`: the registry of fiscal kinds: how each kind's hashed values are rebuilt
  from its stored rows (apps above register their kinds in ``AppConfig.ready``);
- :func:`~comptoir.journal.services.journal_link`: links a new record under its post's
  chain-head lock and signs it with the post's key (:mod:`.postkey`);
- :mod:`.verify`: recomputes every chain of a post (``comptoir journal verify``), and
  :mod:`.arrival`: what the hub checks when a post's records arrive.

One chain per post and per chain name: ``doc`` (invoices and credit notes: the chain
they already formed before version 2, continued), ``sess`` (a cash session's opening
and closing), ``move`` (cash movements), ``close`` (day, month and year closings), ``event`` (the
technical event log, reprints included).
"""
