"""The notebook runner face: ``interlace notebook run`` and scheduled notebooks, with papermill.

Imports papermill and nbclient (the ``runner`` extra); core never imports this package.
"""
