"""One spider per platform; a source is configuration handed to its platform's spider."""
