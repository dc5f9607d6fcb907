"""The ``trackstone`` command line."""
