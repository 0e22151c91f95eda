"""The benchmark farm: generated disclosure logs on 127.0.0.1, a counting server, a do-nothing
reference spider, and the benchmark that measures foiwatch against them (``python -m tests.benchfarm``)."""
