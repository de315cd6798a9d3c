"""The `nit` command line: parse, call one operation, render. No logic lives here."""
