"""Figures printed in the issues: extraction, figure records, the figure index and series over time."""
