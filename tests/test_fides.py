"""Fides (fideslang) manifests as an input (`--input-type fides`, auto-detected) and `dlc import
fides`: systems with egress/ingress as one flow, data collected from people with its origin,
and the shipped mapping of fideslang's default taxonomy."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from checker.adapters.fides.convert import default_mapping, manifests_to_spec
from checker.cli import main
from checker.config import Infrastructure
from checker.errors import InputError
from checker.load.documents import load_file
from checker.resolve.categories import default_taxonomy
from reports import findings

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "fides"
EXAMPLE = ROOT / "examples" / "fides"
AS_OF = "2026-11-25"


def spec_of(*paths, **systems):
    documents = [document for path in paths for document in load_file(str(path), multi=True)]
    return manifests_to_spec(documents, Infrastructure(fides_systems=systems))


def run(*args: str, config: str = "none"):
    return CliRunner().invoke(
        main, [*args[:1], "--config", config, *args[1:]], env={"DLC_CONFIG": "none"}
    )


def test_the_mapping_covers_fideslangs_whole_default_taxonomy_with_known_categories():
    shipped = yaml.safe_load((DATA / "fideslang_data_categories.yml").read_text())["data_category"]
    assert len(shipped) == 85
    assert sorted(entry["fides_key"] for entry in shipped) == sorted(default_mapping())
    known = set(default_taxonomy().names())
    assert {name for names in default_mapping().values() for name in names} <= known
    assert default_mapping()["user.location.precise"] == ("geolocation",)
    assert default_mapping()["user.biometric"] == ("biometric",)
    assert default_mapping()["user.financial"] == ("financial",)
    assert {default_mapping()[key] for key in default_mapping() if key.startswith("system")} == {
        ("non-personal",)
    }


DEMO = {"demo_marketing_system": "DE", "demo_analytics_system": "aws:us-east-1"}


def test_fides_demo_egress_and_matching_ingress_are_one_flow_from_the_collecting_system():
    spec = spec_of(*sorted((DATA / "fides-demo").glob("*.yml")), **DEMO)
    assert [(s.id, s.kind, s.location, s.name) for s in spec.systems] == [
        ("demo_analytics_system", "service", "aws:us-east-1", "Demo Analytics System"),
        ("demo_marketing_system", "service", "DE", "Demo Marketing System"),
    ]
    # marketing declares egress to analytics, analytics the matching ingress: one flow
    assert [(f.id, f.source, f.target, f.datasets) for f in spec.flows] == [
        (
            "demo_marketing_system->demo_analytics_system",
            "demo_marketing_system",
            "demo_analytics_system",
            ("demo_marketing_system#marketing.advertising",),
        )
    ]
    data = {d.id: d for d in spec.datasets}
    marketing = data[
        "demo_marketing_system#marketing.advertising"
    ]  # one dataset per processing activity
    assert (marketing.origin, marketing.categories) == (
        "DE",
        ("personal-identifiers",),
    )  # user.device.cookie_id
    # analytics collects what no ingress brings it, from its declaration and its dataset's fields
    analytics = data["demo_analytics_system#functional.service.improve"]
    assert (analytics.origin, analytics.categories) == (
        "US",
        ("coarse-location", "non-personal", "personal", "personal-identifiers"),
    )
    assert "user.device.cookie_id" not in analytics.description


def test_fides_sample_project_data_travels_through_systems():
    spec = spec_of(
        *sorted((DATA / "fides-sample-project").glob("*.yml")),
        **{"cookie_house": "US", "cookie_house_*": "CN"},
    )
    flows = {f.id: f.datasets for f in spec.flows}
    assert flows["cookie_house_customer_database->cookie_house"] == (
        "cookie_house_customer_database#marketing.advertising.first_party.targeted",
        "cookie_house_marketing_system#marketing.advertising.first_party.targeted",
    )  # relayed
    assert spec.location_of("flows", "cookie_house_loyalty_database->cookie_house")[1] == 21


def test_the_example_checks_and_its_imported_spec_gives_the_same_findings(tmp_path):
    config = str(EXAMPLE / "dlc.yaml")
    direct = run(
        "check", str(EXAMPLE), "--format", "json", "--as-of", AS_OF, config=config
    )  # detected
    assert direct.exit_code == 1
    assert {(f[0], f[3], f[4]) for f in findings(direct) if f[0] == "EU-GDPR-TRANSFER"} == {
        ("EU-GDPR-TRANSFER", "web_shop->payment_provider", "web_shop#essential.service"),
        (
            "EU-GDPR-TRANSFER",
            "web_shop->analytics_vendor",
            "web_shop#analytics.reporting",
        ),  # cookies, not orders
        ("EU-GDPR-TRANSFER", "order_db->support_desk", "web_shop#essential.service"),
    }  # relayed
    written = tmp_path / "spec.yaml"
    result = run(
        "import",
        "fides",
        str(EXAMPLE / "systems.yml"),
        str(EXAMPLE / "datasets.yml"),
        "-o",
        str(written),
        config=config,
    )
    assert result.exit_code == 0, result.output
    again = run("check", str(written), "--format", "json", "--as-of", AS_OF)
    assert findings(direct) == findings(again)
    assert (
        "# "
        + str(EXAMPLE / "systems.yml")
        + ":4: Fides system; location from dlc.yaml fides.systems"
        in written.read_text()
    )


def test_an_extension_takes_its_parents_categories_and_a_purpose_comes_from_the_declaration():
    spec = spec_of(
        EXAMPLE / "systems.yml",
        EXAMPLE / "datasets.yml",
        **yaml.safe_load((EXAMPLE / "dlc.yaml").read_text())["fides"]["systems"],
    )
    flows = {f.id: f for f in spec.flows}
    assert flows["web_shop->analytics_vendor"].purpose == "analytics.reporting"
    assert flows["order_db->support_desk"].purpose is None
    # support_desk declares user.contact.email.work (an extension of user.contact.email); order_db sends it
    # user.contact, so the support desk collects only what is left
    assert {d.id for d in spec.datasets} == {
        "order_db#essential.service",
        "web_shop#analytics.reporting",
        "web_shop#essential.service",
    }


def test_a_category_with_no_mapping_is_an_error_naming_it():
    with pytest.raises(
        InputError, match=r"Fides data category 'user.political_opinion' has no dlc mapping"
    ) as raised:
        spec_of(
            DATA / "fideslang_failing_declaration_taxonomy.yml", customer_data_sharing_system="DE"
        )
    assert (Path(raised.value.file).name, raised.value.line) == (
        "fideslang_failing_declaration_taxonomy.yml",
        9,
    )


def test_an_unmapped_system_is_an_input_error_naming_it_and_the_config_key():
    result = run("check", str(DATA / "fides-demo"), "--input-type", "fides")
    assert result.exit_code == 2
    assert (
        "demo_system.yml:2:16: Fides system 'demo_analytics_system' has no location: map it in dlc.yaml "
        "under fides.systems" in result.output
    )


def test_a_flow_to_a_system_no_manifest_declares_is_an_error(tmp_path):
    path = tmp_path / "s.yml"
    path.write_text(
        "system:\n  - fides_key: a\n    system_type: Service\n    egress:\n      - fides_key: b\n"
        "        type: system\n    privacy_declarations: []\n"
    )
    with pytest.raises(
        InputError, match="egress names system 'b', which no manifest declares"
    ) as raised:
        spec_of(path, a="DE")
    assert raised.value.line == 5


def test_unknown_resource_types_and_repeated_keys_are_errors(tmp_path):
    path = tmp_path / "s.yml"
    path.write_text("system:\n  - fides_key: a\n    privacy_declarations: []\nsystems: []\n")
    with pytest.raises(
        InputError, match=r"unknown Fides resource type 'systems' .known: system, dataset"
    ) as raised:
        spec_of(path, a="DE")
    assert raised.value.line == 4
    path.write_text(
        "system:\n  - fides_key: a\n    privacy_declarations: []\n  - fides_key: a\n"
        "    privacy_declarations: []\n"
    )
    with pytest.raises(InputError, match="system 'a' is declared twice"):
        spec_of(path, a="DE")


def test_a_fides_organization_is_not_taken_for_a_spec():
    from checker.adapters import detect

    assert detect(load_file(str(DATA / "fides-demo" / "demo_organization.yml"))[0].data) == "fides"


def test_import_of_a_directory_skips_its_dlc_yaml(tmp_path):
    written = tmp_path / "spec.yaml"
    result = run(
        "import", "fides", str(EXAMPLE), "-o", str(written), config=str(EXAMPLE / "dlc.yaml")
    )
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output and "5 systems, 3 datasets, 4 flows" in result.output
    assert yaml.safe_load(written.read_text())["name"] == "fides datasets.yml, systems.yml"


def test_a_flow_from_a_fides_dataset_comes_from_the_systems_referencing_it(tmp_path):
    path = tmp_path / "m.yml"
    path.write_text("""\
system:
  - fides_key: crm
    system_type: Database
    dataset_references: [customers]
    privacy_declarations: []
  - fides_key: reporting
    system_type: Service
    ingress:
      - {fides_key: customers, type: dataset}
    privacy_declarations:
      - {data_categories: [user.contact.email], data_use: analytics.reporting}
dataset:
  - fides_key: customers
    collections:
      - name: people
        fields:
          - {name: email, data_categories: [user.contact.email]}
          - {name: lat, data_categories: [user.location.precise]}
""")
    spec = spec_of(path, crm="CN", reporting="SG")
    assert [(f.id, f.datasets) for f in spec.flows] == [("crm->reporting", ("crm#customers",))]
    assert {d.id: (d.origin, d.categories) for d in spec.datasets} == {
        "crm#customers": ("CN", ("geolocation", "personal-identifiers"))
    }  # reporting collects nothing itself


def test_third_country_transfers_are_flows_to_those_countries(tmp_path):
    path = tmp_path / "m.yml"
    path.write_text("""\
system:
  - fides_key: crm
    system_type: Database
    third_country_transfers: [USA, chn]
    dataset_references: [customers]
    privacy_declarations:
      - {data_categories: [user.name], data_use: essential.service}
dataset:
  - fides_key: customers
    third_country_transfers: [USA]
    collections: []
""")
    spec = spec_of(path, crm="DE")
    assert [(s.id, s.location) for s in spec.systems] == [
        ("crm", "DE"),
        ("third-country:US", "US"),
        ("third-country:CN", "CN"),
    ]
    assert [(f.id, f.datasets) for f in spec.flows] == [
        ("crm->third-country:US", ("crm#essential.service",)),
        ("crm->third-country:CN", ("crm#essential.service",)),
    ]
    path.write_text(path.read_text().replace("[USA, chn]", "[USA, XXX]"))
    with pytest.raises(
        InputError, match="'XXX' is not an ISO 3166-1 alpha-3 country code"
    ) as raised:
        spec_of(path, crm="DE")
    assert raised.value.line == 4


def test_a_manifest_of_an_unexpected_shape_is_an_input_error_at_its_line(tmp_path):
    path = tmp_path / "m.yml"
    path.write_text(
        "system:\n  - fides_key: a\n    privacy_declarations:\n      - data_categories: [[user]]\n"
    )
    result = run("check", str(path), "--input-type", "fides", "--default-location", "DE")
    assert result.exit_code == 2
    assert (
        result.stderr
        == f"dlc: error: {path}:4:26: data_categories: expected a list of keys, got [['user']]\n"
    )


@pytest.mark.parametrize(
    "folder, systems",
    [
        ("fides-demo", "    demo_marketing_system: DE\n    demo_analytics_system: aws:us-east-1\n"),
        ("fides-sample-project", "    cookie_house: US\n    'cookie_house_*': CN\n"),
    ],
)
def test_the_fixtures_round_trip_through_an_imported_spec(tmp_path, folder, systems):
    config = tmp_path / "dlc.yaml"
    config.write_text("fides:\n  systems:\n" + systems)
    direct = run(
        "check", str(DATA / folder), "--format", "json", "--as-of", AS_OF, config=str(config)
    )
    written = tmp_path / "spec.yaml"
    assert (
        run("import", "fides", str(DATA / folder), "-o", str(written), config=str(config)).exit_code
        == 0
    )
    again = run("check", str(written), "--format", "json", "--as-of", AS_OF)
    assert direct.exit_code == again.exit_code == 1
    assert findings(direct) == findings(again)
