from pathlib import Path

import pytest

from evopersona.config import ROLES, load_config
from evopersona.errors import InputError

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", ["quickstart", "retail", "airline"])
def test_shipped_configs_are_valid(name):
    config = load_config(REPO / "runs" / f"{name}.toml")
    assert config.name == name
    assert set(config.llm.roles) == set(ROLES)


def test_every_role_defaults_to_offline():
    config = load_config(REPO / "runs" / "quickstart.toml")
    assert {r: c.model for r, c in config.llm.roles.items()} == {r: f"offline/{r}" for r in ROLES}


def test_model_flag_switches_every_role_and_keeps_role_settings():
    config = load_config(REPO / "runs" / "retail.toml", ['llm.model=openai/gpt-4o-mini', "llm.api_base=http://127.0.0.1:9/v1"])
    assert all(c.model == "openai/gpt-4o-mini" for c in config.llm.roles.values())
    assert all(c.api_base == "http://127.0.0.1:9/v1" for c in config.llm.roles.values())
    assert config.llm.roles["mutator"].temperature == 1.0
    assert config.llm.roles["user"].concurrency == 32


def test_per_role_model_in_file(tmp_path: Path):
    path = tmp_path / "r.toml"
    path.write_text('[llm.roles.judge]\nmodel = "anthropic/claude-x"\n')
    config = load_config(path)
    assert config.llm.roles["judge"].model == "anthropic/claude-x"
    assert config.llm.roles["user"].model == "offline/user"
    assert config.name == "r"


def test_overrides_parse_types():
    config = load_config(None, ["search.max_evaluations=7", "fitness.coverage_space=raw", "tasks.ids=['1','2']", "llm.budget.max_usd=1.5"])
    assert config.search.max_evaluations == 7
    assert config.fitness.coverage_space == "raw"
    assert config.tasks.ids == ["1", "2"]
    assert config.llm.budget.max_usd == 1.5


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[search]\nmax_evalutions = 3\n", "search.max_evalutions: unknown key"),
        ("[search]\nislands = 0\n", "search.islands"),
        ("[fitness]\ncoverage_space = 'pca'\n", "fitness.coverage_space"),
        ("[fitness]\nhuman_likeness_weight = 0.9\n", "must equal 1"),
        ("[llm.roles.critic]\nmodel = 'x'\n", "unknown role"),
        ("colour = 'blue'\n", "colour: unknown key"),
        ("name = 'has space'\n", "name"),
        ("[search\n", "not valid TOML"),
    ],
)
def test_bad_config_files_give_clear_errors(tmp_path: Path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        load_config(path)
    assert message in str(info.value)
    assert str(path) in str(info.value)


def test_bad_override_syntax():
    with pytest.raises(InputError, match="expected KEY=VALUE"):
        load_config(None, ["search.islands"])
    with pytest.raises(InputError, match="not a section"):
        load_config(None, ["seed=1", "seed.x=1"])


def test_missing_config_file():
    with pytest.raises(InputError, match="config file not found"):
        load_config(Path("/nonexistent/x.toml"))


def test_mutator_models_list_keeps_model_working(tmp_path: Path):
    path = tmp_path / "bandit.toml"
    path.write_text('[llm.roles.mutator]\nmodels = ["offline/mutator", "offline/mutator-weak"]\n', encoding="utf-8")
    config = load_config(path)
    assert config.llm.role("mutator").model == "offline/mutator"
    assert config.llm.mutator_models() == ["offline/mutator", "offline/mutator-weak"]
    assert load_config(None, ["llm.roles.mutator.model=openai/x"]).llm.mutator_models() == ["openai/x"]
    assert load_config(path, ["llm.model=openai/y"]).llm.mutator_models() == ["openai/y"], "--model overrides the list"
