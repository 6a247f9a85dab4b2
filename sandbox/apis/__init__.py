"""Faithful local fakes of the vendor APIs, one Starlette app serving every vendor under a prefix."""
