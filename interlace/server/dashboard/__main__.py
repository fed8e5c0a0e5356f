"""``python -m interlace.server.dashboard`` prints the file to give ``panel serve``."""

from pathlib import Path

print(Path(__file__).with_name("standalone.py"))
