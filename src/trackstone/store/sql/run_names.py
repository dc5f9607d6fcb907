"""Generated run names such as ``brave-otter-42``, for runs created without one."""

from __future__ import annotations

import secrets

__all__ = ["generate_run_name"]

_ADJECTIVES = (
    "amber", "bold", "brave", "bright", "brisk", "calm", "clever", "cosmic", "crisp", "curious",
    "daring", "dusty", "eager", "early", "fancy", "fearless", "gentle", "giant", "glad", "golden",
    "grand", "happy", "hidden", "honest", "humble", "icy", "jolly", "keen", "kind", "lively",
    "lucky", "mellow", "merry", "misty", "modest", "nimble", "noble", "patient", "plucky", "polite",
    "proud", "quick", "quiet", "rapid", "rare", "restless", "rustic", "shiny", "silent", "silver",
    "smooth", "snowy", "solid", "steady", "stormy", "sunny", "swift", "tidy", "tiny", "vivid",
    "warm", "wild", "wise", "witty", "young", "zesty",
)  # fmt: skip
_NOUNS = (
    "albatross", "badger", "beaver", "bison", "cheetah", "comet", "condor", "coral", "crane",
    "dolphin", "eagle", "falcon", "ferret", "finch", "fox", "gazelle", "gecko", "glacier", "hare",
    "hawk", "heron", "ibis", "jackal", "jaguar", "kestrel", "koala", "lark", "lemur", "lynx",
    "magpie", "marmot", "meadow", "meteor", "mole", "moose", "newt", "ocelot", "orca", "osprey",
    "otter", "owl", "panda", "pelican", "penguin", "puffin", "quail", "raven", "river", "robin",
    "salmon", "seal", "sparrow", "squid", "stork", "swan", "tapir", "tiger", "toucan", "trout",
    "turtle", "valley", "walrus", "wombat", "wren", "yak", "zebra",
)  # fmt: skip


def generate_run_name() -> str:
    """Return a random, readable run name: adjective, noun and a number below 1000."""
    adjective = secrets.choice(_ADJECTIVES)
    noun = secrets.choice(_NOUNS)
    return f"{adjective}-{noun}-{secrets.randbelow(1000)}"
