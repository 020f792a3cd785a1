"""A dashboard as LookML text (`dashboard_lookml`, `import_dashboard_from_lookml`), the way
lmanage and sdk-codegen's content-cleanup example capture and put back dashboards."""

import pytest
from looker_sdk import error
from looker_sdk.sdk.api40 import models as m

from tests.emulator.sdk_client import sdk_for


@pytest.fixture
def configured_sdk(emulator_factory):
    """An empty instance whose deployed demo models were configured on deploy."""
    return sdk_for(emulator_factory(seed=None, auto_configure_models=True))


def _dashboard_with_parts(sdk):
    return next(
        d
        for d in (sdk.dashboard(x.id) for x in sdk.all_dashboards())
        if d.dashboard_filters
        and any(e.look_id for e in d.dashboard_elements)
        and any(e.type == "text" for e in d.dashboard_elements)
    )


def test_rule_dashboard_lookml_answers_the_dashboard_as_yaml(demo_sdk):
    dash = _dashboard_with_parts(demo_sdk)
    answer = demo_sdk.dashboard_lookml(dash.id)
    assert answer.dashboard_id == dash.id
    text = answer.lookml
    assert text.startswith("---\n- dashboard: ")
    assert f"\n  title: {dash.title}\n" in text
    assert f"\n  preferred_slug: {dash.slug}\n" in text
    assert text.count("\n  - title: ") + text.count("\n  - name: ") == len(
        dash.dashboard_elements
    ) + len(dash.dashboard_filters)
    query_tile = next(e for e in dash.dashboard_elements if e.query_id)
    assert f"    explore: {query_tile.query.view}\n" in text
    assert "    type: text\n" in text


def test_rule_an_exported_dashboard_imports_on_another_instance(demo_sdk, configured_sdk):
    dash = _dashboard_with_parts(demo_sdk)
    tile = next(e for e in dash.dashboard_elements if e.query_id)
    demo_sdk.update_dashboard_element(
        tile.id, m.WriteDashboardElement(note_text="Check: #2", note_display="above")
    )
    text = demo_sdk.dashboard_lookml(dash.id).lookml
    assert '    note_text: "Check: #2"\n' in text
    shared = next(f for f in configured_sdk.all_folders() if f.is_shared_root)
    made = configured_sdk.import_dashboard_from_lookml(
        m.WriteDashboardLookml(folder_id=shared.id, lookml=text)
    )
    assert (made.title, made.folder_id, made.slug) == (dash.title, shared.id, dash.slug)
    assert len(made.dashboard_elements) == len(dash.dashboard_elements)
    assert [f.name for f in made.dashboard_filters] == [f.name for f in dash.dashboard_filters]
    # A Look tile answers its query under `look` (query null); the text carries it as
    # the tile's own query.
    source_fields = [
        (e.query or e.look.query).fields for e in dash.dashboard_elements if e.query or e.look
    ]
    assert [e.query.fields for e in made.dashboard_elements if e.query] == source_fields
    assert "Check: #2" in {e.note_text for e in made.dashboard_elements}
    # A Look's tile comes back as a query tile showing the same data.
    assert not any(e.look_id for e in made.dashboard_elements)
    # Written again, the copy is the same text: places, filters, texts and queries kept.
    assert configured_sdk.dashboard_lookml(made.id).lookml == text


def test_rule_import_overwrites_the_dashboard_with_the_preferred_slug(demo_sdk):
    dash = _dashboard_with_parts(demo_sdk)
    text = demo_sdk.dashboard_lookml(dash.id).lookml
    target = demo_sdk.create_folder(m.CreateFolder(name="Restored", parent_id="1"))
    again = demo_sdk.import_dashboard_from_lookml(
        m.WriteDashboardLookml(folder_id=target.id, lookml=text.replace(dash.title, "Renamed"))
    )
    assert (again.id, again.title, again.folder_id) == (dash.id, "Renamed", target.id)
    assert len(demo_sdk.dashboard(dash.id).dashboard_elements) == len(dash.dashboard_elements)
    # Without folder_id an overwritten dashboard stays where it is.
    kept = demo_sdk.import_dashboard_from_lookml(m.WriteDashboardLookml(lookml=text))
    assert (kept.id, kept.folder_id) == (dash.id, target.id)


def test_rule_import_without_folder_places_a_new_dashboard_in_the_personal_folder(
    demo_sdk, configured_sdk
):
    dash = _dashboard_with_parts(demo_sdk)
    text = demo_sdk.dashboard_lookml(dash.id).lookml
    made = configured_sdk.import_dashboard_from_lookml(m.WriteDashboardLookml(lookml=text))
    assert made.folder_id == configured_sdk.me().personal_folder_id


def test_rule_dashboard_lookml_of_a_lookml_dashboard_answers_500(demo_sdk):
    with pytest.raises(error.SDKError) as exc:
        demo_sdk.dashboard_lookml("thelook::overview")
    assert "/500/" in exc.value.documentation_url
    assert exc.value.message == "An error has occurred."
    with pytest.raises(error.SDKError) as exc:
        demo_sdk.dashboard_lookml("99999")
    assert "/404/" in exc.value.documentation_url


def _rejected(sdk, emulator, lookml, folder_id="1"):
    before = emulator.counters()["creates"]
    with pytest.raises(error.SDKError) as exc:
        sdk.import_dashboard_from_lookml(m.WriteDashboardLookml(folder_id=folder_id, lookml=lookml))
    assert emulator.counters()["creates"] == before
    return exc.value


def test_rule_a_rejected_lookml_text_changes_nothing(demo_sdk, looker_source):
    dash = _dashboard_with_parts(demo_sdk)
    text = demo_sdk.dashboard_lookml(dash.id).lookml.replace(dash.slug, "brand-new-slug")
    count = len(demo_sdk.all_dashboards())

    bad_yaml = _rejected(demo_sdk, looker_source, "- dashboard: x\n  title: [unclosed\n")
    assert "/422/" in bad_yaml.documentation_url
    assert "line 2" in bad_yaml.errors[0].message

    not_a_dashboard = _rejected(demo_sdk, looker_source, "title: no dashboard key\n")
    assert bad_yaml.errors[0].field == not_a_dashboard.errors[0].field == "lookml"

    unknown_model = text.replace("    model: ", "    model: not_deployed_", 1)
    assert "/404/" in _rejected(demo_sdk, looker_source, unknown_model).documentation_url

    same_title = _rejected(demo_sdk, looker_source, text, folder_id=dash.folder_id)
    assert same_title.errors[0].code == "already_exists"

    missing_folder = _rejected(demo_sdk, looker_source, text, folder_id="99999")
    assert missing_folder.errors[0].field == "folder_id"
    assert len(demo_sdk.all_dashboards()) == count


def test_rule_filter_titles_are_unique_in_an_imported_dashboard(demo_sdk, looker_source):
    text = (
        "- dashboard: twice\n  title: Twice\n  filters:\n"
        "  - name: a\n    title: Date\n    type: date_filter\n"
        "  - name: b\n    title: date\n    type: date_filter\n"
    )
    exc = _rejected(demo_sdk, looker_source, text)
    assert exc.errors[0].message == "Filter with this title already exists."
