"""The browsable catalog (`opsbundle site`): one static site of every bundle,
interface, check and log field, generated from the repository.

content.py gathers what the pages show through the project's own loaders;
bundles, contracts, matrix, logfields and results shape one part each;
pages.py and templates/ write HTML (Jinja2, autoescaped); markdown.py renders
READMEs so that nothing in them can run; build.py writes the site atomically.
"""
