"""Names for runs started without one, in MLflow's style: adjective-noun-number.

Short enough to say out loud and to read in a table column, varied enough that runs of one
experiment rarely share a name (about 2.5 million combinations); names need not be unique.
"""

from __future__ import annotations

import random

_ADJECTIVES = (
    "agile", "amber", "ancient", "bold", "brave", "bright", "calm", "clever", "cosmic",
    "crisp", "curious", "daring", "dashing", "eager", "electric", "fancy", "fearless",
    "gentle", "gifted", "glowing", "golden", "graceful", "happy", "hidden", "humble",
    "jolly", "keen", "kind", "lively", "lucky", "mellow", "merry", "mighty", "misty",
    "nimble", "noble", "patient", "polished", "proud", "quick", "quiet", "rapid", "rare",
    "restless", "rustic", "serene", "sharp", "shiny", "silent", "silver", "sleek", "smooth",
    "snowy", "steady", "stellar", "sunny", "swift", "tidy", "vivid", "warm", "wise", "zesty",
)  # fmt: skip

_NOUNS = (
    "badger", "bat", "bear", "bee", "bison", "boar", "carp", "cat", "colt", "crab", "crane",
    "cub", "deer", "dove", "duck", "eagle", "eel", "elk", "falcon", "finch", "fox", "frog",
    "gecko", "goat", "goose", "gull", "hare", "hawk", "heron", "horse", "ibis", "jay",
    "koala", "lark", "lemur", "lion", "lynx", "mole", "moose", "moth", "newt", "otter",
    "owl", "panda", "pike", "puffin", "quail", "ram", "raven", "robin", "seal", "shark",
    "sloth", "snail", "sparrow", "squid", "stork", "swan", "tiger", "toad", "trout",
    "whale", "wolf", "wren", "yak", "zebra",
)  # fmt: skip

_NUMBER_LIMIT = 1000
# A generator of its own: drawing names must not move the user's `random` seed sequence.
_draws = random.Random()


def generate_run_name() -> str:
    """A fresh name like `swift-otter-417`."""
    adjective = _draws.choice(_ADJECTIVES)
    noun = _draws.choice(_NOUNS)
    return f"{adjective}-{noun}-{_draws.randrange(_NUMBER_LIMIT)}"
