# Test that an object names itself in REST terms through the interface it provides, so that a
# serializer can reduce it without importing the plugin that made it.

from zope.interface import Attribute, Interface, implementer

from mailman_plugin_kit.identity import declare_rest_identifier, rest_identifier


class IThing(Interface):
    thing_id = Attribute("The identifier.")


class ISpecialThing(IThing):
    """Inherits the declaration of IThing."""


declare_rest_identifier(IThing, "thing_id")


@implementer(ISpecialThing)
class Thing:
    thing_id = "t-1"


class Undeclared:
    thing_id = "t-2"


def test_an_object_is_named_by_the_attribute_its_interface_declares():
    assert rest_identifier(Thing()) == ("thing_id", "t-1")


def test_an_object_without_a_declaration_has_no_identifier():
    assert rest_identifier(Undeclared()) is None
    assert rest_identifier(None) is None
