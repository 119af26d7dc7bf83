"""The till screen (« caisse »): selling, receipts and invoices, returns, lookups."""
