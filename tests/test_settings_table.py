from service.config import Settings
from service.settings_table import table
from tests.conftest import ROOT


def test_the_configuration_reference_is_generated_from_the_settings():
    assert (ROOT / "docs" / "configuration.md").read_text() == table()


def test_every_setting_is_described():
    assert all(info.description for info in Settings.model_fields.values())
    assert table().count("| `VEIL_") == len(Settings.model_fields)
