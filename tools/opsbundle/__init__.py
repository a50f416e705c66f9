"""opsbundle: validate, list, render and scaffold opsbundles."""

__version__ = "0.2.6"
