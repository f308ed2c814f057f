from service.config import Settings
from service.settings_table import table
from tests.conftest import ROOT


def test_the_configuration_reference_is_generated_from_the_settings():
    assert (ROOT / "docs" / "configuration.md").read_text() == table()


def test_every_setting_is_described():
    assert all(info.description for info in Settings.model_fields.values())
    assert table().count("| `VEIL_") == len(Settings.model_fields)


def test_the_options_reference_is_generated_from_the_option_schema():
    from service.core.params import RedactParams
    from service.options_table import table as options

    assert (ROOT / "docs" / "options.md").read_text() == options()
    assert options().count("| `--") == len(RedactParams.model_fields)
    assert all(info.description for info in RedactParams.model_fields.values())
