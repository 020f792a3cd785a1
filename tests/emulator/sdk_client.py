"""A real looker_sdk client pointed at a live emulator (no looker.ini needed)."""

from __future__ import annotations

import looker_sdk
from looker_sdk.rtl import api_settings
from looker_sdk.sdk.api40.methods import Looker40SDK

from restoration.emulator import LookerEmulator


class EmulatorSettings(api_settings.ApiSettings):
    def __init__(self, emulator: LookerEmulator, timeout: int = 10) -> None:
        self._emulator = emulator
        self._timeout = timeout
        super().__init__()

    def read_config(self) -> api_settings.SettingsConfig:
        return api_settings.SettingsConfig(
            base_url=self._emulator.base_url,
            client_id=self._emulator.client_id,
            client_secret=self._emulator.client_secret,
            verify_ssl="false",
            timeout=str(self._timeout),
        )


def sdk_for(emulator: LookerEmulator, timeout: int = 10) -> Looker40SDK:
    return looker_sdk.init40(config_settings=EmulatorSettings(emulator, timeout))


def configure_model(sdk: Looker40SDK, name: str = "thelook", connection: str = "thelook") -> None:
    """Configure a `lookml_model` for one of the deployed demo projects, as an admin does on
    a fresh instance before anyone can query it."""
    from looker_sdk.sdk.api40 import models as m

    sdk.create_lookml_model(
        m.WriteLookmlModel(name=name, project_name=name, allowed_db_connection_names=[connection])
    )
