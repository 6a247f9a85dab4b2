"""Every stream the hub can ingest, keyed by raw table name (`CATALOGUE`), and the streams a
configuration enables: the chosen CRM's and fulfilment vendor's, and every system no kind chooses.

`STREAMS` are the default configuration's (HubSpot and ShipStation); what serves a configured hub
(the ingest assets, the sandbox start) asks `configured_streams(env)`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from types import MappingProxyType

from connectors.config import VENDORS, ConnectorSettings
from connectors.errors import ConfigError
from connectors.spec import StreamSpec
from connectors.systems import docusign, ecb, google_ads, hubspot, meta, salesforce, shippo, shipstation

# Catalogue order is ingest order: a stream's dependencies come before it.
CATALOGUE: Mapping[str, StreamSpec] = MappingProxyType(
    {
        spec.name: spec
        for module in (hubspot, salesforce, meta, google_ads, docusign, shipstation, shippo, ecb)
        for spec in module.STREAMS
    }
)

# The variables that choose a vendor (connectors/config.py VENDORS).
VENDOR_VARIABLES = {kind: f"HUB_{kind.upper()}" for kind in VENDORS}


def enabled_streams(crm: str = VENDORS["crm"][0], fulfilment: str = VENDORS["fulfilment"][0]) -> Mapping[str, StreamSpec]:
    """The catalogue's streams a configuration ingests, in catalogue order: the systems of the
    vendors not chosen are left out. A vendor whose connector is not in the catalogue is refused."""
    chosen = {"crm": crm, "fulfilment": fulfilment}
    catalogued = {spec.system for spec in CATALOGUE.values()}
    for kind, vendor in chosen.items():
        variable, default = VENDOR_VARIABLES[kind], VENDORS[kind][0]
        if vendor not in VENDORS[kind]:
            raise ConfigError(f"{variable}={vendor!r} is not a supported vendor: use {' or '.join(VENDORS[kind])}")
        if vendor not in catalogued:
            raise ConfigError(
                f"{variable}={vendor}: the {vendor} connector is not available in this version "
                f"(connectors/streams.py does not list connectors/systems/{vendor}.py yet): use {variable}={default}"
            )
    left_out = {vendor for kind, vendors in VENDORS.items() for vendor in vendors if vendor != chosen[kind]}
    return MappingProxyType({name: spec for name, spec in CATALOGUE.items() if spec.system not in left_out})


def configured_vendors(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The vendor of each kind HUB_CRM and HUB_FULFILMENT of `env` choose (default: os.environ), checked.
    Only those two are read: a bad credential must fail its own stream's run, not the choice."""
    env = os.environ if env is None else env
    names = set(VENDOR_VARIABLES.values())
    settings = ConnectorSettings.from_env({k: v for k, v in env.items() if k.upper() in names})
    return {kind: getattr(settings, kind) for kind in VENDORS}


def configured_streams(env: Mapping[str, str] | None = None) -> Mapping[str, StreamSpec]:
    """`enabled_streams` for the vendors `env` chooses (`configured_vendors`)."""
    return enabled_streams(**configured_vendors(env))


STREAMS: Mapping[str, StreamSpec] = enabled_streams()

__all__ = ["CATALOGUE", "STREAMS", "StreamSpec", "configured_streams", "configured_vendors", "enabled_streams"]
