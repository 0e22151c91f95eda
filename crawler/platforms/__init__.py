"""Per-platform option models and parsers (no Scrapy imports: configuration loading stays light)."""
