import re
from pathlib import Path

import pytest
import yaml

from checker.resolve.regions import RegionCatalog, UnknownLocation, default_catalog

DATA = Path(__file__).parents[1] / "checker" / "resolve" / "data"


@pytest.fixture(scope="module")
def catalog() -> RegionCatalog:
    return default_catalog()


def test_default_catalog_is_loaded_once():
    assert default_catalog() is default_catalog()


def test_norway_is_a_string_code_not_a_boolean(catalog):
    assert catalog.is_country("NO")
    assert catalog.country_name("NO") == "Norway"
    assert catalog.country_of("NO") == "NO"
    assert catalog.country_of("azure:norwayeast") == "NO"


def test_all_country_keys_survive_pyyaml_default_loader():
    data = yaml.safe_load((DATA / "countries.yaml").read_text(encoding="utf-8"))
    codes = [*data["iso3166"], *data["user_assigned"]]
    assert all(isinstance(code, str) and re.fullmatch(r"[A-Z]{2}", code) for code in codes)


def test_249_iso_codes_plus_user_assigned_kosovo(catalog):
    data = yaml.safe_load((DATA / "countries.yaml").read_text(encoding="utf-8"))
    assert len(data["iso3166"]) == 249
    assert "XK" not in data["iso3166"]
    assert data["user_assigned"] == {"XK": "Kosovo"}
    assert len(catalog.countries()) == 250
    assert catalog.countries() == sorted(catalog.countries())
    assert catalog.country_of("xk") == "XK"


def test_hong_kong_macao_taiwan_are_distinct_from_china(catalog):
    codes = {catalog.country_of(c) for c in ("CN", "HK", "MO", "TW")}
    assert codes == {"CN", "HK", "MO", "TW"}
    assert catalog.country_name("HK") == "Hong Kong"
    assert catalog.country_name("MO") == "Macao"


@pytest.mark.parametrize(
    "location, country",
    [
        ("aws:cn-north-1", "CN"),
        ("aws:cn-northwest-1", "CN"),
        ("aws:ap-east-1", "HK"),
        ("aws:ap-east-2", "TW"),
        ("aws:eusc-de-east-1", "DE"),
        ("aws:us-gov-west-1", "US"),
        ("azure:chinaeast2", "CN"),
        ("azure:chinanorth3", "CN"),
        ("azure:eastasia", "HK"),
        ("azure:usgovvirginia", "US"),
        ("gcp:asia-east1", "TW"),
        ("gcp:asia-east2", "HK"),
        ("gcp:me-central2", "SA"),
        ("alibaba:cn-hongkong", "HK"),
        ("alibaba:cn-beijing", "CN"),
        ("alibaba:ap-southeast-5", "ID"),
        ("aws:ap-southeast-5", "MY"),
    ],
)
def test_region_country(catalog, location, country):
    assert catalog.country_of(location) == country


@pytest.mark.parametrize(
    "location, country",
    [
        ("aws:cn-north-1a", "CN"),
        ("aws:us-east-1f", "US"),
        ("aws:us-east-1-bos-1a", "US"),
        ("aws:us-east-1-bue-1a", "AR"),  # Local Zone abroad: Buenos Aires, parent us-east-1
        ("aws:ap-northeast-1-tpe-1a", "TW"),
        ("gcp:asia-east2-a", "HK"),
        ("gcp:europe-west10-b", "DE"),
        ("alibaba:cn-hangzhou-h", "CN"),
        ("alibaba:cn-shanghai-finance-1f", "CN"),
        ("alibaba:cn-hongkong-b", "HK"),
    ],
)
def test_zone_resolves_to_its_country(catalog, location, country):
    assert catalog.country_of(location) == country


@pytest.mark.parametrize(
    "location",
    [
        "aws:cn-north-1-pkx-1a",  # not a Local Zone in the catalog: its country is unknown
        "aws:us-east-1-wl1-bos-wlz-1",
        "aws:us-east-10",
        "gcp:europe-west1b",
        "cn-north-1",  # a bare region name is ambiguous across providers
        "UK",  # the ISO code is GB
        "oracle:us-ashburn-1",
        "aws:",
    ],
)
def test_unresolvable_locations_raise(catalog, location):
    with pytest.raises(UnknownLocation):
        catalog.country_of(location)


@pytest.mark.parametrize(
    "location, country",
    [
        ("cn", "CN"),
        (" no ", "NO"),
        ("AWS:CN-NORTH-1", "CN"),
        ("Aws:Cn-North-1A", "CN"),
        ("GCP:Asia-East2-A", "HK"),
        ("azure:ChinaEast2", "CN"),
        ("azure:China East 2", "CN"),
        ("Azure:West Europe", "NL"),
    ],
)
def test_case_and_display_name_insensitivity(catalog, location, country):
    assert catalog.country_of(location) == country


def test_unknown_location_message_suggests_close_match(catalog):
    with pytest.raises(UnknownLocation) as raised:
        catalog.country_of("aws:cn-nort-1")
    message = str(raised.value)
    assert message.startswith("unknown location 'aws:cn-nort-1' (did you mean aws:cn-north-1")
    assert message.endswith("?)")
    assert raised.value.suggestions[0] == "aws:cn-north-1"
    assert len(raised.value.suggestions) <= 3
    assert isinstance(raised.value, LookupError)


def test_unknown_location_without_close_match_has_no_hint(catalog):
    with pytest.raises(UnknownLocation) as raised:
        catalog.country_of("QQ")
    assert str(raised.value) == "unknown location 'QQ'"


def test_country_name_of_unknown_code_raises(catalog):
    with pytest.raises(UnknownLocation):
        catalog.country_name("QQ")


def test_every_region_and_local_zone_maps_to_a_known_country(catalog):
    data = yaml.safe_load((DATA / "regions.yaml").read_text(encoding="utf-8"))
    entries = [e for regions in data["regions"].values() for e in regions.values()]
    entries += data["aws_local_zones"].values()
    for entry in entries:
        assert catalog.is_country(entry["country"]), entry
        assert entry["name"]
    for location in catalog.regions():
        assert catalog.is_country(catalog.country_of(location))


def test_azure_display_names_fold_to_programmatic_names():
    data = yaml.safe_load((DATA / "regions.yaml").read_text(encoding="utf-8"))
    for name, entry in data["regions"]["azure"].items():
        assert entry["name"].replace(" ", "").lower() == name


def test_local_zones_belong_to_a_catalogued_aws_region(catalog):
    data = yaml.safe_load((DATA / "regions.yaml").read_text(encoding="utf-8"))
    aws = set(data["regions"]["aws"])
    for group in data["aws_local_zones"]:
        parent, _, city = group.rpartition("-")[0].rpartition("-")
        assert parent in aws and city.isalpha(), group


def test_gcp_has_no_mainland_china_region(catalog):
    assert all(catalog.country_of(r) != "CN" for r in catalog.regions("gcp"))


def test_region_counts(catalog):
    assert len(catalog.regions("aws")) >= 30
    assert len(catalog.regions("azure")) >= 55
    assert len(catalog.regions("gcp")) >= 40
    assert len(catalog.regions("alibaba")) >= 25
    assert len(catalog.regions()) == sum(
        len(catalog.regions(p)) for p in ("aws", "azure", "gcp", "alibaba")
    )


def test_regions_are_prefixed_and_sorted(catalog):
    aws = catalog.regions("AWS")
    assert "aws:cn-north-1" in aws
    assert aws == sorted(aws)
    assert all(r.startswith("aws:") for r in aws)


def test_regions_of_unknown_provider_raises(catalog):
    with pytest.raises(ValueError):
        catalog.regions("oracle")
