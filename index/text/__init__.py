"""Text analysis shared by indexing and querying: tokens, stems, stop words, number forms, sentences
and month names.  A language plugs in here; nothing here knows a search engine or a file format."""
