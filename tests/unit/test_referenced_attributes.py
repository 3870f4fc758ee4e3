"""Which attributes a stack reads (``orchestrator.engine.attributes``), in every form of ``get_attr``."""

from __future__ import annotations

import textwrap

from orchestrator.engine.attributes import referenced_attributes
from orchestrator.template.compiler import compile_stack
from orchestrator.template.template import Template


def wanted(version: str, outputs: str) -> dict:
    text = textwrap.dedent(f"""
    heat_template_version: {version}
    parameters:
      which: {{type: string, default: value}}
    resources:
      a: {{type: OS::Heat::None}}
      b: {{type: OS::Heat::None}}
    outputs:
    """) + textwrap.indent(textwrap.dedent(outputs), "  ")
    definition = compile_stack(Template.load(text, "template.yaml"), allow_unknown_types=True)
    return referenced_attributes(definition)


def test_the_2013_form_reads_the_attribute_whole():
    assert wanted("2013-05-23", """
    x: {value: {get_attr: [a, value, key, 0]}}
    """) == {"a": {("value", ())}}


def test_later_forms_hand_the_path_to_the_resource():
    assert wanted("2014-10-16", """
    x: {value: {get_attr: [a, value, key, 0]}}
    y: {value: {get_attr: [b, {get_param: which}]}}
    """) == {"a": {("value", ("key", 0))}, "b": {("value", ())}}


def test_every_attribute_and_unusable_paths():
    assert wanted("2015-10-15", """
    x: {value: {get_attr: [a]}}
    y: {value: {get_attr: [b, value, {k: v}]}}
    z: {value: {get_attr: [b, {get_attr: [a, name]}]}}
    """) == {"a": {(None, ()), ("name", ())}}
