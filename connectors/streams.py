"""Every stream the hub ingests, keyed by raw table name: the pipelines layer's catalogue."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from connectors.spec import StreamSpec
from connectors.systems import docusign, ecb, google_ads, hubspot, meta, shipstation

STREAMS: Mapping[str, StreamSpec] = MappingProxyType(
    {
        spec.name: spec
        for module in (hubspot, meta, google_ads, docusign, shipstation, ecb)
        for spec in module.STREAMS
    }
)

__all__ = ["STREAMS", "StreamSpec"]
