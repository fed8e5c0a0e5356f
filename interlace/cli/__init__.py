"""The ``interlace`` command line: one module per command group; each parses flags into an
options value, calls the Workspace and prints the result. No core work happens here."""
