"""One module of page handlers per domain; each calls services only."""
