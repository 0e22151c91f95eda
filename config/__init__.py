"""The default configuration shipped with foiwatch (installed as the ``foiwatch_config`` package)."""
