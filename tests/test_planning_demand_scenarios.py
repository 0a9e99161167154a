"""Scenario files with mistakes in them: each is refused with a message naming the file, the
key path and why (icsight.planning.demand.scenario)."""

from __future__ import annotations

import pytest

from icsight.model.reference import data_path
from icsight.planning.demand import ScenarioError, load_scenario

MITIGATED = data_path("planning", "scenarios", "mitigated.toml").read_text(encoding="utf-8")


def _refused(tmp_path, text: str) -> str:
    path = tmp_path / "scenario.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as error:
        load_scenario(path)
    message = str(error.value)
    assert message.startswith(f"{path}: "), message
    return message


def _changed(old: str, new: str, count: int = 1) -> str:
    assert MITIGATED.count(old) >= count, old
    return MITIGATED.replace(old, new, count)


def test_the_packaged_file_loads(tmp_path):
    path = tmp_path / "ok.toml"
    path.write_text(MITIGATED, encoding="utf-8")
    assert load_scenario(path).name == "Mitigated"


def test_an_unknown_field_is_named(tmp_path):
    message = _refused(tmp_path, _changed("horizon = 2043", "horizon = 2043\nhorizn = 2043"))
    assert "horizn: unknown field" in message


def test_an_unknown_field_inside_a_distribution_is_named_by_its_path(tmp_path):
    message = _refused(tmp_path, _changed("p10 = 0.05, p90 = 0.20",
                                          "p10 = 0.05, p90 = 0.20, p50 = 0.1"))
    assert ("mitigators[0] ('Avoidable emergency admissions').reduction.p50: unknown field"
            in message)


def test_a_negative_reduction_is_refused(tmp_path):
    message = _refused(tmp_path, _changed("p10 = 0.05, p90 = 0.20", "p10 = -0.05, p90 = 0.20"))
    assert ("mitigators[0] ('Avoidable emergency admissions').reduction: a reduction must lie "
            "between 0 and 1; this one runs from -0.05 to 0.2") in message


def test_a_negative_share_or_life_expectancy_gain_is_refused(tmp_path):
    message = _refused(tmp_path, _changed("female = 0.085", "female = -0.085"))
    assert "health_status.life_expectancy_65_gain_per_year.female: " in message
    assert "greater than or equal to 0" in message
    message = _refused(tmp_path, _changed("p10 = 0.25, p90 = 0.75", "p10 = -0.25, p90 = 0.75"))
    assert "health_status.share_in_good_health: a share must lie between 0 and 1" in message


def test_p10_above_p90_is_refused(tmp_path):
    message = _refused(tmp_path, _changed("p10 = 0.02, p90 = 0.08", "p10 = 0.08, p90 = 0.02"))
    assert ("mitigators[1] ('Virtual wards (older people)').reduction: p10 (0.08) is above "
            "p90 (0.02)") in message


def test_a_lognormal_needs_values_above_zero(tmp_path):
    message = _refused(tmp_path, _changed(
        'rate = { distribution = "normal", p10 = 0.0121, p90 = 0.0141 }',
        'rate = { distribution = "lognormal", p10 = 0, p90 = 0.0141 }'))
    assert "non_demographic_growth[0] ('A&E').rate.p10: Input should be greater than 0" in message


def test_an_unknown_distribution_is_refused(tmp_path):
    message = _refused(tmp_path, _changed('distribution = "normal", p10 = 0.05',
                                          'distribution = "gamma", p10 = 0.05'))
    assert "mitigators[0] ('Avoidable emergency admissions').reduction: " in message
    assert "'gamma'" in message and "'lognormal'" in message


def test_unknown_and_repeated_points_of_delivery_are_refused(tmp_path):
    message = _refused(tmp_path, _changed('pods = ["maternity"]', 'pods = ["matrenity"]'))
    assert ("non_demographic_growth[4] ('Maternity').pods: unknown point of delivery "
            "'matrenity'") in message
    message = _refused(tmp_path, _changed('pods = ["ae"]', 'pods = ["ae", "msk"]'))
    assert "'msk' is in two non_demographic_growth groups ('A&E' and 'Outpatients')" in message


def test_every_point_of_delivery_needs_a_growth_rate(tmp_path):
    message = _refused(tmp_path, _changed('pods = ["maternity"]', "pods = []"))
    assert "non_demographic_growth[4] ('Maternity').pods: " in message
    start = MITIGATED.index('[[non_demographic_growth]]\nname = "Maternity"')
    end = MITIGATED.index("[[non_demographic_growth]]", start + 1)
    message = _refused(tmp_path, MITIGATED[:start] + MITIGATED[end:])
    assert ("non_demographic_growth has no group for 'maternity': give every point of "
            "delivery a rate (a fixed 0 if none is known)") in message


def test_a_ramp_that_ends_before_it_starts_and_a_late_horizon_are_refused(tmp_path):
    message = _refused(tmp_path, _changed("starts = 2026\nfull_by = 2033",
                                          "starts = 2033\nfull_by = 2026"))
    assert ("mitigators[0] ('Avoidable emergency admissions'): full_by (2026) is before "
            "starts (2033)") in message
    message = _refused(tmp_path, _changed("horizon = 2043", "horizon = 2050"))
    assert "horizon: Input should be less than or equal to 2043" in message


def test_population_variants_must_be_known_and_add_up_to_one(tmp_path):
    message = _refused(tmp_path, _changed('variants = { "ons-2022" = 1.0 }',
                                          'variants = { "ons-2018" = 1.0 }'))
    assert "population.variants: unknown variant 'ons-2018'" in message
    message = _refused(tmp_path, _changed('variants = { "ons-2022" = 1.0 }',
                                          'variants = { "ons-2022" = 0.5, "housing-led" = 0.4 }'))
    assert "population.variants: the probabilities add up to 0.9, not 1" in message


def test_several_mistakes_are_all_listed_and_missing_fields_named(tmp_path):
    text = _changed("horizon = 2043\n", "").replace('version = "2026-12-03.1"\n', "")
    message = _refused(tmp_path, text)
    assert "horizon: missing" in message and "version: missing" in message


def test_a_file_that_is_not_toml_is_refused(tmp_path):
    message = _refused(tmp_path, "name = \n")
    assert "not valid TOML" in message
