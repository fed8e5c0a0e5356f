"""``python -m interlace`` is the ``interlace`` command."""

from interlace.cli.main import main

main()
