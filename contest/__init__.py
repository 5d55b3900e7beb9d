"""The contest up to the judges' door: accounts, contests, entries, anonymisation, similarity."""
