"""Datasets for ``log_input``: build them from pandas or numpy with a content digest."""
