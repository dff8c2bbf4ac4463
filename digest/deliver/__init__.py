"""Delivery of a rendered digest: e-mail over SMTP (and, elsewhere, the static site)."""
