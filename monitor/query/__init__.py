"""The read side's one query layer: search, filters, pages, response details and diffs.

The CLI, the web pages, the JSON API and the Atom feeds all answer from here.
"""
