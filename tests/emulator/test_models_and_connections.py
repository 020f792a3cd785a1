"""LookML models (keyed by name) and the connections they may use."""

import pytest
from looker_sdk import error
from looker_sdk.sdk.api40 import models as m

from tests.emulator.sdk_client import sdk_for


def test_a_model_is_keyed_by_name(sdk):
    model = sdk.create_lookml_model(
        m.WriteLookmlModel(
            name="sales", project_name="sales", allowed_db_connection_names=["thelook"]
        )
    )
    assert model.name == "sales"
    assert sdk.lookml_model("sales").allowed_db_connection_names == ["thelook"]
    sdk.update_lookml_model("sales", m.WriteLookmlModel(unlimited_db_connections=True))
    assert sdk.lookml_model("sales").unlimited_db_connections is True
    sdk.delete_lookml_model("sales")
    assert sdk.all_lookml_models() == []


def test_a_model_may_name_connections_the_instance_lacks(sdk):
    # Not checked (EVIDENCE.md): the engine refuses such a model itself before writing.
    sdk.create_lookml_model(
        m.WriteLookmlModel(name="sales", allowed_db_connection_names=["nowhere"])
    )
    assert sdk.lookml_model("sales").allowed_db_connection_names == ["nowhere"]


def test_model_names_are_unique(sdk):
    sdk.create_lookml_model(m.WriteLookmlModel(name="sales", project_name="sales"))
    with pytest.raises(error.SDKError) as exc:
        sdk.create_lookml_model(m.WriteLookmlModel(name="sales", project_name="other"))
    assert "/409/post/lookml_models" in exc.value.documentation_url


def test_seeded_models_list_their_explores(demo_sdk):
    model = demo_sdk.lookml_model("thelook")
    assert "order_items" in [e.name for e in model.explores]
    assert demo_sdk.lookml_model_explore("thelook", "order_items").model_name == "thelook"


def test_the_instance_has_connections(sdk):
    assert {"thelook", "bigquery_prod"} <= {c.name for c in sdk.all_connections()}
    assert sdk.connection("thelook").dialect_name == "mysql"


def test_the_connections_can_be_chosen(emulator_factory):
    sdk = sdk_for(emulator_factory(connections=["warehouse"]))
    assert [c.name for c in sdk.all_connections()] == ["warehouse"]
    assert (
        sdk.create_lookml_model(
            m.WriteLookmlModel(name="sales", allowed_db_connection_names=["warehouse"])
        ).name
        == "sales"
    )
