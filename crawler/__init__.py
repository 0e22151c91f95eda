"""Scrapy project for foiwatch: platform spiders, item normalisation and the storage pipeline."""

__version__ = "0.1.0"
