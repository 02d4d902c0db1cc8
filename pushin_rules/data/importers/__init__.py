"""Importers: another system's exports (SEIS, or any system through a mapping file) -> a
district folder in the CSV contract, with a report of every source row not used."""
