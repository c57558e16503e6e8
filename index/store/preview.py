"""What `scripts/archive add --dry-run` shows of a file before it is added: everything that was read.

Staff check a new issue here before it is served: the number and date with where each came from,
every story with its passages (and the page each starts on) and the figures found in them, and
what was dropped as page furniture or site chrome.  Nothing is copied and the index is not touched.
"""

from __future__ import annotations

from index.figures.extract import extract_figures
from index.store.add import Arrival


def preview_json(arrival: Arrival) -> dict:
    """One checked file as JSON: its status and, unless it is already in the archive, what was read."""
    data = {"file": arrival.source.name, "target": str(arrival.target), "status": arrival.status}
    parsed = arrival.parsed
    if parsed is None:
        return data
    stories = []
    for section in parsed.sections:
        passages = [{"id": p.id, "page": p.page, "language": p.language, "text": p.text, "recurring": p.recurring,
                     "figures": [{"as_printed": f.as_printed, "kind": f.kind, "label": f.label}
                                 for f in extract_figures(p.text)]}
                    for p in parsed.passages if p.section_id == section.id]
        stories.append({**section.to_json(), "passages": passages})
    header = {"text": parsed.header.text, "where": parsed.header.where} if parsed.header else None
    return {**data, "issue": parsed.issue.to_json(), "header": header, "stories": stories,
            "dropped": [dropped.to_json() for dropped in parsed.dropped]}
