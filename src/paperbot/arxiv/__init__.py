"""Everything that talks to arXiv: announcement feeds, the query API, identifiers."""
