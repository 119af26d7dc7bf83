"""comptoir benchmarks (issue 6): real processes over loopback, figures printed, no asserts.

``python -m bench [--quick] [--only NAME ...] [--json FILE]`` starts a throwaway
PostgreSQL with durable (default) settings, a hub (``comptoir serve``), and two tills
enrolled with ``comptoir node init --server``, then runs:

- ``catchup_push``: till A, offline while it sold N invoices (5 lines, a payment, 5 stock
  movements each), pushes them: the engine's push (what ``comptoir sync --mode push``
  runs) timed inside one ``comptoir shell`` process, so Python/Django start-up is not
  counted; when it returns every change was acknowledged, i.e. committed on the hub.
- ``catchup_pull``: till B (enrolled before) pulls them, timed the same way.
- ``wire_cost``: bytes per invoice of those two runs, counted at the HTTP client:
  request bodies as sent (zstd), response bodies as received (still compressed), and
  the header bytes of both (request/status line + headers; TCP/IP overhead excluded).
- ``latency``: both tills served (background workers); one ``comptoir shell`` on till A
  sells at 5/s and prints each commit instant; the bench polls the hub's PostgreSQL and
  till B's SQLite file (read-only) every 5 ms for the invoice number: p50/p99/max.
- ``bootstrap``: a hub of its own filled with ``--bootstrap-data`` articles (category,
  barcode) and customers (50,000 and 10,000), then a new till enrolled with ``comptoir
  node init --server --code``: the command timed from start to return, and what the till
  received compared with the hub.
- ``capacity``: K simulated tills (one process, asyncio) each selling one invoice every
  2 s and following their store's changes, once with long polls and once with the live
  stream (one held connection per till), in the same run; K grows (``--tills``) until
  the push p99 reaches 500 ms or a sale's p99 to the other tills of its store reaches
  1 s: per mode, the largest K under both, and the CPU time per sale of the hub and of
  PostgreSQL. Not in the default run; ``--quick`` runs it at 10 tills for 5 s per mode
  (printing only).
- ``connections``: N live streams (``--streams``: 500, 1,000, 2,000; quick 50) opened
  together on the hub, as after a restart, then held for ``--seconds`` with no sale
  (``bench/connections.py``): how long until all are answered, the hub's memory per
  stream, and the CPU per held stream of the hub and PostgreSQL. Not in the default run.
- ``pages``: the back office's list pages (``bench/pages.py``) on the hub's PostgreSQL
  filled in bulk with ``--pages-data`` articles and invoices (50,000 and 200,000), then
  stores and enrolled tills (2,000 and 10,000) for the chain's pages (« chain: sync
  page », dashboard, store list, till menus, archives, journal): server time p50 and max
  per page, through Django's test client. Not in the default run.
- ``import``: ``comptoir import articles`` of a CSV of N rows (``--import-rows``: 1,000,
  10,000 and 100,000; quick 1,000) on the hub's PostgreSQL, timed inside one ``comptoir
  shell``: rows per second, the check and write times, and the longest chunk (the
  longest a till's push can wait behind the import for the change-log lock).
- ``pouchdb``: the peer's one-shot push of the same N (batch_size 1000), run here,
  and the ratio (never with ``--quick``; skipped with the reason when node is missing).
"""
