"""The shipped region catalog: which country a country code or cloud region stands for."""

from __future__ import annotations

import difflib
import functools
import re

from checker.resolve import load_catalog

# What may follow a region name inside a zone name. Availability zones sit in their region's
# metro, so they inherit its country; AWS Local Zones may not (see aws_local_zones in the data).
_AZ_SUFFIX = {
    "aws": re.compile(r"[a-z]"),  # us-east-1a
    "gcp": re.compile(r"-[a-z]"),  # asia-east2-a
    "alibaba": re.compile(r"-?[a-z]"),  # cn-hangzhou-h, ap-southeast-1a
}
_AWS_LOCAL_ZONE = re.compile(r"(-[a-z]+-\d+)[a-z]")  # us-east-1-bos-1a -> group us-east-1-bos-1


class UnknownLocation(LookupError):
    def __init__(
        self, location: str, suggestions: list[str], kind: str = "location", expected: str = ""
    ) -> None:
        hint = f" (did you mean {', '.join(suggestions)}?)" if suggestions else ""
        super().__init__(
            f"unknown {kind} '{location}'{hint}" + (f" (expected {expected})" if expected else "")
        )
        self.suggestions = suggestions


class RegionCatalog:
    def __init__(self) -> None:
        countries = load_catalog("countries.yaml")
        self._countries: dict[str, str] = {**countries["iso3166"], **countries["user_assigned"]}
        regions = load_catalog("regions.yaml")
        self._regions: dict[str, dict[str, dict]] = regions["regions"]
        self._aws_local_zones: dict[str, dict] = regions["aws_local_zones"]

    def country_of(self, location: str) -> str:
        """Resolve a country code or 'provider:region' (or zone) without ever guessing.

        A bare region name is refused: the same name can be different countries at different
        providers (ap-southeast-5 is Malaysia at AWS and Indonesia at Alibaba Cloud).
        """
        query = location.strip()
        provider, sep, name = query.partition(":")
        if not sep:
            if self.is_country(query):
                return query.upper()
        else:
            provider, name = provider.strip().lower(), name.strip().lower()
            if provider == "azure":  # accept display names: 'China East 2' is chinaeast2
                name = name.replace(" ", "")
            country = self._region_country(provider, name)
            if country:
                return country
            query = f"{provider}:{name}"
        raise UnknownLocation(location, self._close_matches(query))

    def is_country(self, code: str) -> bool:
        return code.upper() in self._countries

    def country(self, code: str) -> str:
        """`code` as a country (an origin or a destination, where a cloud region is not enough)."""
        if not self.is_country(code):
            raise UnknownLocation(code, [], "country code", "ISO 3166-1 alpha-2, e.g. CN, US, NO")
        return code.upper()

    def country_name(self, code: str) -> str:
        if not self.is_country(code):
            raise UnknownLocation(code, self._close_matches(code))
        return self._countries[code.upper()]

    def countries(self) -> list[str]:
        return sorted(self._countries)

    def regions(self, provider: str | None = None) -> list[str]:
        if provider is not None and provider.lower() not in self._regions:
            raise ValueError(f"unknown provider '{provider}'; known: {', '.join(self._regions)}")
        providers = [provider.lower()] if provider else self._regions
        return sorted(f"{p}:{r}" for p in providers for r in self._regions[p])

    def _region_country(self, provider: str, name: str) -> str | None:
        regions = self._regions.get(provider, {})
        if name in regions:
            return regions[name]["country"]
        # Longest region first: when two regions prefix the name, the longer one is meant.
        for region in sorted((r for r in regions if name.startswith(r)), key=len, reverse=True):
            rest = name[len(region) :]
            if provider in _AZ_SUFFIX and _AZ_SUFFIX[provider].fullmatch(rest):
                return regions[region]["country"]
            local_zone = _AWS_LOCAL_ZONE.fullmatch(rest) if provider == "aws" else None
            if local_zone and region + local_zone[1] in self._aws_local_zones:
                return self._aws_local_zones[region + local_zone[1]]["country"]
        return None

    def _close_matches(self, query: str) -> list[str]:
        by_folded = {c.lower(): c for c in self.regions() + self.countries()}
        return [by_folded[m] for m in difflib.get_close_matches(query.lower(), by_folded, n=3)]


@functools.cache
def default_catalog() -> RegionCatalog:
    return RegionCatalog()
