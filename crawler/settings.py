"""Scrapy project settings, so ``scrapy list`` and ``scrapy crawl police_soh -a source=<id>`` work.

foiwatch itself builds its settings with ``crawler.run.build_settings``; this module applies the
same function to the shipped (or ``FOIWATCH_CONFIG``) configuration and the default database.
"""

from __future__ import annotations

from crawler.config import default_config_dir, load_crawler_settings
from crawler.run import build_settings
from storage.db import default_data_dir, resolve_database_url

_data_dir = default_data_dir()
globals().update(
    build_settings(
        load_crawler_settings(default_config_dir()), _data_dir, resolve_database_url(None, _data_dir)
    )
)
