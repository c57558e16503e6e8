"""Ranking passages: the keyword engine (Whoosh) behind a small interface, BM25 in one place, exact
cosine search, fusion, filters, facets, snippets and the reasons two stories are related."""
