"""dvcoord: offline co-ordination tool for a district's domestic-abuse partnership."""

__version__ = "0.1.0"
APP_NAME = "dvcoord"
