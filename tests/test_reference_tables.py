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


def test_every_problem_type_is_documented():
    import inspect

    from service import errors

    api = (ROOT / "docs" / "api.md").read_text()
    classes = [c for _, c in inspect.getmembers(errors, inspect.isclass) if issubclass(c, errors.VeilError)]
    slugs = {c.type_slug for c in classes}
    slugs |= {"not-found", "method-not-allowed", "worker-lost", "interrupted"}
    assert [s for s in sorted(slugs) if f"/problems/{s}`" not in api] == []


def test_links_and_paths_in_the_docs_exist():
    """Every relative link and every backticked repository path in the README and docs/ resolves (globs
    must match something), so no page cites a file that is gone."""
    import re

    pages = [ROOT / "README.md", ROOT / "CHANGELOG.md", ROOT / "deploy" / "README.md",
             *sorted((ROOT / "docs").glob("*.md"))]
    missing = []
    for page in pages:
        text = page.read_text()
        for link in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if not link.startswith(("http://", "https://", "mailto:")) and not (page.parent / link).exists():
                missing.append(f"{page.name}: {link}")
        for path in re.findall(r"`((?:docs|models|scripts|tests|service|deploy)/[^`\s<>]+)`", text):
            path = path.rstrip("/.,:")
            if "*" in path or "{" in path:
                pattern = re.sub(r"\{([^}]*)\}", "*", path)
                if not list(ROOT.glob(pattern)):
                    missing.append(f"{page.name}: {path}")
            elif not (ROOT / path).exists():
                missing.append(f"{page.name}: {path}")
    assert missing == []
