"""OS::Heat::RandomString: a secret made once, kept in the resource's data.

Templates use it for passwords and keys.  The value is drawn with ``secrets``
when the resource is created and never again: every property change means
replacement (``salt`` exists only to force one), so a stack update that keeps
the properties keeps the password.  ``get_resource`` gives the value itself,
as in Heat, which is why ``reference_id`` reads it from data.
"""

from __future__ import annotations

import secrets
import string
from typing import Any, Iterable, Mapping

from resources.base import Resource
from resources.schema import (AllowedValues, Attribute, Integer, Length, List, Map, PropertyProblem, Range,
                              String)

#: the character classes Heat knows, by name
CHARACTER_CLASSES: dict[str, str] = {
    "lettersdigits": string.ascii_letters + string.digits,
    "letters": string.ascii_letters,
    "lowercase": string.ascii_lowercase,
    "uppercase": string.ascii_uppercase,
    "digits": string.digits,
    "hexdigits": string.digits + "ABCDEF",
    "octdigits": string.octdigits,
}
DEFAULT_CLASS = "lettersdigits"
_CLASS_NAMES = AllowedValues(list(CHARACTER_CLASSES))

_MINIMUMS_TOO_LARGE = ("Length property cannot be smaller than combined character class and character "
                       "sequence minimums")
_SEQUENCE_WITH_LISTS = ("Cannot use deprecated 'sequence' property along with 'character_sequences' or "
                        "'character_classes' properties")


class RandomString(Resource):
    """A random string of ``length`` characters honouring per-class and per-sequence minimums."""

    type_name = "OS::Heat::RandomString"
    description = "Generates a random string, e.g. for passwords; get_resource gives the string."
    blocking = False
    properties_schema = {
        "length": Integer("Length of the string to generate.", default=32, constraints=(Range(1, 512),)),
        "character_classes": List(
            "Character classes (with minimum counts) to draw the string from.",
            schema=Map(schema={
                "class": String("A character class.", default=DEFAULT_CLASS, constraints=(_CLASS_NAMES,)),
                "min": Integer("The least number of characters of this class in the string.", default=1,
                               constraints=(Range(1, 512),)),
            })),
        "character_sequences": List(
            "Character sequences (with minimum counts) to draw the string from.",
            schema=Map(schema={
                "sequence": String("The characters to draw from.", required=True, constraints=(Length(min=1),)),
                "min": Integer("The least number of characters of this sequence in the string.", default=1,
                               constraints=(Range(1, 512),)),
            })),
        "sequence": String("Deprecated: use character_classes.", constraints=(_CLASS_NAMES,)),
        "salt": String("Change it to get a new string on the next stack update; otherwise ignored."),
    }
    attributes_schema = {
        "value": Attribute("The random string (also what get_resource gives).", type="string"),
    }

    @classmethod
    def validate(cls, properties: Mapping[str, Any], unknown: frozenset[str]) -> Iterable[PropertyProblem]:
        """Old templates' ``sequence`` excludes the lists, and the minimums must fit in the length."""
        if unknown & {"length", "character_classes", "character_sequences", "sequence"}:
            return []
        classes = properties.get("character_classes") or []
        sequences = properties.get("character_sequences") or []
        if properties.get("sequence") and (classes or sequences):
            return [PropertyProblem(("sequence",), _SEQUENCE_WITH_LISTS)]
        needed = sum(item.get("min") or 0 for item in [*classes, *sequences])
        if needed > properties["length"]:
            return [PropertyProblem(("length",), _MINIMUMS_TOO_LARGE)]
        return []

    def create(self) -> None:
        self.set_data("value", generate(self.properties))
        self.set_physical_id(self.runtime.physical_name())

    def reference_id(self) -> Any:
        if self.physical_id is None:
            return self.name
        return self.data.get("value")

    def resolve_attribute(self, name: str) -> Any:
        if name == "value":
            return self.data.get("value")
        return super().resolve_attribute(name)


def _pools(properties: Mapping[str, Any]) -> list[tuple[str, int]]:
    """``(characters, minimum)`` for every class and sequence asked for (the default class if none)."""
    pools = [(item["sequence"], item.get("min") or 0) for item in properties.get("character_sequences") or []]
    pools += [(CHARACTER_CLASSES[item.get("class") or DEFAULT_CLASS], item.get("min") or 0)
              for item in properties.get("character_classes") or []]
    if not pools:
        pools = [(CHARACTER_CLASSES[properties.get("sequence") or DEFAULT_CLASS], 0)]
    return pools


def generate(properties: Mapping[str, Any]) -> str:
    """A string that has each pool's minimum, filled up from pools chosen with equal weight, shuffled.

    Choosing the pool first (rather than a character from all pools together)
    is Heat's way: a short sequence is as likely to be drawn from as a long class.
    """
    pools = _pools(properties)
    chars = [secrets.choice(pool) for pool, minimum in pools for _ in range(minimum)]
    while len(chars) < properties["length"]:
        chars.append(secrets.choice(secrets.choice(pools)[0]))
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)
