import copy

import pytest

from checker.resolve.accelerators import (
    AcceleratorCatalog,
    Thresholds,
    classify,
    default_catalog,
    normalize,
)


@pytest.fixture(scope="module")
def catalog():
    return default_catalog()


def model(catalog, name):
    found = catalog.lookup(name)
    assert found is not None, name
    return found


# ---- shipped models: classes computed from datasheet figures


def test_h100_sxm_is_3a090a_by_tpp(catalog):
    h100 = model(catalog, "NVIDIA H100 SXM")
    assert h100.tpp == pytest.approx(15_831, abs=1)
    assert h100.performance_density == pytest.approx(19.45, abs=0.01)
    assert h100.eccn == "3A090.a"
    assert h100.basis == "TPP 15,831 ≥ 4,800 (3A090.a.1)"


def test_a100_is_3a090a(catalog):
    for name in ("A100", "A100 80GB", "A800"):
        a100 = model(catalog, name)
        assert a100.tpp == pytest.approx(4_992)
        assert a100.eccn == "3A090.a"


def test_h20_is_outside_3a090(catalog):
    h20 = model(catalog, "H20")
    assert h20.tpp == pytest.approx(2_368)
    assert h20.performance_density == pytest.approx(2.91, abs=0.01)
    assert h20.eccn == "not-3A090"


def test_l20_is_outside_3a090_because_pd_is_under_3_2(catalog):
    l20 = model(catalog, "L20")
    assert l20.tpp == pytest.approx(1_912)
    assert l20.performance_density == pytest.approx(3.14, abs=0.01)
    assert l20.eccn == "not-3A090"


def test_l4_is_3a090a_through_the_density_paragraph(catalog):
    l4 = model(catalog, "L4")
    assert 1_600 <= l4.tpp < 4_800
    assert l4.performance_density >= 5.92
    assert l4.eccn == "3A090.a"
    assert "3A090.a.2" in l4.basis


def test_rtx_4090_is_3a090a_despite_being_consumer(catalog):
    rtx = model(catalog, "GeForce RTX 4090")
    assert not rtx.datacenter
    assert rtx.tpp >= 4_800
    assert rtx.eccn == "3A090.a"
    assert "Note 2 needs TPP < 4,800" in rtx.basis


def test_rtx_4090d_is_excluded_by_note_2(catalog):
    rtx = model(catalog, "RTX 4090D")
    assert rtx.tpp == pytest.approx(4_707, abs=1)
    assert rtx.eccn == "not-3A090"
    assert rtx.basis == "TPP 4,707 < 4,800 and not a datacenter part (3A090 Note 2)"
    # Without Note 2 its density alone would catch it.
    assert classify(rtx.tpp, rtx.performance_density, True, catalog.thresholds)[0] == "3A090.a"


def test_mi308x_without_figures_is_unclassified(catalog):
    mi308x = model(catalog, "MI308X")
    assert mi308x.tpp is None
    assert mi308x.eccn == "unclassified"


def test_every_model_has_a_known_class_and_a_source(catalog):
    for accelerator in catalog.models():
        assert accelerator.eccn in {"3A090.a", "3A090.b", "not-3A090", "unclassified"}
        assert accelerator.source and accelerator.basis


# ---- classify at the thresholds


@pytest.mark.parametrize(
    "tpp, pd, eccn",
    [
        # 3A090.a.1: TPP >= 4800, whatever the PD
        (4800, None, "3A090.a"),
        (4800.01, 0.1, "3A090.a"),
        (4799.99, 1.0, "not-3A090"),
        # 3A090.a.2: TPP >= 1600 and PD >= 5.92
        (1600, 5.92, "3A090.a"),
        (1600.01, 5.93, "3A090.a"),
        (1599.99, 5.92, "not-3A090"),
        (1600, 5.91, "3A090.b"),  # falls to b.2
        # 3A090.b.1: 2400 <= TPP < 4800 and 1.6 <= PD < 5.92
        (2400, 1.6, "3A090.b"),
        (2400.01, 1.61, "3A090.b"),
        (2399.99, 1.6, "not-3A090"),
        (2400, 1.59, "not-3A090"),
        (4799.99, 5.91, "3A090.b"),
        # 3A090.b.2: TPP >= 1600 and 3.2 <= PD < 5.92
        (1600, 3.2, "3A090.b"),
        (1600.01, 3.21, "3A090.b"),
        (1600, 3.19, "not-3A090"),
        (1599.99, 3.2, "not-3A090"),
    ],
)
def test_classify_boundaries(catalog, tpp, pd, eccn):
    assert classify(tpp, pd, True, catalog.thresholds)[0] == eccn


@pytest.mark.parametrize(
    "tpp, pd, datacenter, eccn",
    [
        (4799.99, 10.0, False, "not-3A090"),  # Note 2
        (4800, 10.0, False, "3A090.a"),  # Note 2 stops at 4800
        (None, 10.0, True, "unclassified"),
        (1599.99, None, True, "not-3A090"),  # no paragraph reaches below 1600
        (1600, None, True, "unclassified"),  # a.2 or b.2 might apply: fail closed
        (4799.99, None, True, "unclassified"),
        (3000, None, False, "not-3A090"),  # Note 2 needs no PD
    ],
)
def test_classify_with_missing_figures_fails_closed(catalog, tpp, pd, datacenter, eccn):
    assert classify(tpp, pd, datacenter, catalog.thresholds)[0] == eccn


def test_basis_never_rounds_onto_a_threshold(catalog):
    assert classify(4799.99, 10.0, False, catalog.thresholds)[1] == (
        "TPP 4,799.99 < 4,800 and not a datacenter part (3A090 Note 2)"
    )


# ---- lookup


@pytest.mark.parametrize(
    "spelling, model_id",
    [
        ("nvidia-h100-80gb-hbm3", "nvidia-h100-sxm"),
        ("  h100   sxm ", "nvidia-h100-sxm"),
        ("Tesla A100", "nvidia-a100-40gb"),
        ("NVIDIA_A100-SXM4-80GB", "nvidia-a100-80gb"),
        ("nvidia-tesla-t4", "nvidia-t4"),
        ("NVIDIA H100 PCIe", "nvidia-h100-pcie"),
    ],
)
def test_lookup_matches_names_and_aliases_loosely(catalog, spelling, model_id):
    assert model(catalog, spelling).id == model_id


@pytest.mark.parametrize("spelling", ["NVIDIA H999", "", "H100 SXM6"])
def test_lookup_of_unknown_model_is_none(catalog, spelling):
    assert catalog.lookup(spelling) is None


def test_names_and_aliases_are_unique_across_models(catalog):
    spellings = [normalize(s) for m in catalog.models() for s in (m.name, *m.aliases)]
    assert len(spellings) == len(set(spellings))


def test_models_are_sorted_by_id(catalog):
    ids = [m.id for m in catalog.models()]
    assert ids == sorted(ids) and len(ids) >= 29


# ---- a broken catalog does not load

GOOD = {
    "id": "x-1",
    "vendor": "X",
    "origin": "US",
    "name": "X One",
    "aliases": ["X1"],
    "datacenter": True,
    "dense_tops": {8: 100},
    "die_area_mm2": 100,
    "memory_bandwidth_gbs": None,
    "source": "test",
}


@pytest.mark.parametrize(
    "change",
    [
        lambda e: e.pop("datacenter"),
        lambda e: e.pop("origin"),
        lambda e: e.update(origin="China"),
        lambda e: e.update(datacenter="yes"),
        lambda e: e.update(dense_tops={8: "100"}),
        lambda e: e.update(die_area_mm2=0),
        lambda e: e.update(aliases="X1"),
        lambda e: e.update(eccn="3A090.a"),  # a class is computed, never stated
    ],
)
def test_invalid_entry_is_rejected_naming_the_model(catalog, change):
    entry = copy.deepcopy(GOOD)
    change(entry)
    with pytest.raises(ValueError, match="'x-1'"):
        AcceleratorCatalog([entry], catalog.thresholds)


def test_duplicate_alias_across_models_is_rejected(catalog):
    other = dict(
        copy.deepcopy(GOOD), id="x-2", name="X Two", aliases=["X_ONE"]
    )  # spells x-1's name
    with pytest.raises(ValueError, match=r"'x-2'.*'x-1'"):
        AcceleratorCatalog([copy.deepcopy(GOOD), other], catalog.thresholds)


def test_valid_entry_loads(catalog):
    one = AcceleratorCatalog([copy.deepcopy(GOOD)], catalog.thresholds).lookup("x1")
    assert (one.tpp, one.performance_density, one.eccn) == (800, 8.0, "not-3A090")


@pytest.mark.parametrize(
    "paragraph",
    [
        {"paragraph": "3A090.a.1", "tpp_min": "4800"},
        {"paragraph": "3A090.a.1", "tpp_minimum": 4800},
    ],
)
def test_malformed_thresholds_are_rejected(paragraph):
    with pytest.raises(ValueError, match=r"ear-3a090.yaml"):
        Thresholds.from_data(
            {"paragraphs": [paragraph], "consumer-note-2": {"tpp_below": 4800}, "source": "x"}
        )
