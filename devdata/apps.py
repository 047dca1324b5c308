from django.apps import AppConfig


class DevdataConfig(AppConfig):
    """The seed_demo and seed_scale commands; no models."""

    name = "devdata"
