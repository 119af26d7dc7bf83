"""The back office (« gestion »): one module per screen family."""
