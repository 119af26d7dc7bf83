"""The fiscal journal's pure core: keys, canonical serialization, chains, archives.

French till software must meet four conditions (CGI art. 286 I 3° bis,
BOI-TVA-DECLA-30-10-30): **inalterability**, **security**, **conservation** and
**archiving**. This package holds what proves them and needs no database: a post's
signing key (:mod:`.keys`), the versioned serialization that a record's hash covers
(:mod:`.canonical`, :mod:`.schemas`), linking and verifying a chain (:mod:`.chains`),
and self-contained archives (:mod:`.archive`). It imports nothing from comptoir but the
floor modules (``core.errors``, ``core.money``, ``core.ids``) and ``core.chain`` (the
version 1 hash, which records made before keep verifying under).
"""
