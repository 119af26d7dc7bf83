from django.apps import AppConfig


class OpsConfig(AppConfig):
    """The commands that set up and run a post (``serve``, ``import``, ``demo_populate``)."""

    name = "comptoir.ops"
    label = "ops"
