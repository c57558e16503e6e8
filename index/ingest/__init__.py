"""Reading newsletter issues as received (text, markdown, PDF) into issues, stories and passages,
with their dates, countries and the catalog's corrections."""
