"""Software configs: scripts and cloud-init data that servers and deployments consume.

These are data resources.  Heat keeps a config in its software-config API;
here the config lives in the resource's own data under ``software_config``,
shaped like that API's body (``id, name, group, config, options, inputs,
outputs``), so deployments, servers' ``user_data`` and a future config API
can read it through the engine's ``"stack"`` service by the resource's
reference (a fresh uuid, as Heat's config ids are).  Configs are immutable:
any change makes a new resource, so servers using it see a new id.
"""

from __future__ import annotations

import email
import os
import uuid
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from typing import Any, Iterable, Mapping

import yaml

from orchestrator.template.errors import InvalidArguments
from orchestrator.template.parameters import BOOLEAN, JSON, LIST, NUMBER, STRING, ParameterSchema, convert
from resources.base import Resource
from resources.schema import AllowedValues, Any_, Attribute, Boolean, List, Map, PropertyProblem, String

UNGROUPED = "Heat::Ungrouped"
#: where the config is kept in the resource's data
CONFIG_KEY = "software_config"
#: input/output types (CloudFormation-style names) -> the HOT parameter type that checks their defaults
IO_TYPES = {"String": STRING, "Number": NUMBER, "CommaDelimitedList": LIST, "Json": JSON, "Boolean": BOOLEAN}

INPUT_SCHEMA = {
    "name": String("Name of the input.", required=True),
    "description": String("Description of the input."),
    "type": String("Type of the value of the input.", default="String", constraints=(AllowedValues(IO_TYPES),)),
    "default": Any_("Default value for the input if none is specified."),
    "replace_on_change": Boolean("Replace the deployment instead of updating it when the input value changes.",
                                 default=False),
}
OUTPUT_SCHEMA = {
    "name": String("Name of the output.", required=True),
    "description": String("Description of the output."),
    "type": String("Type of the value of the output.", default="String", constraints=(AllowedValues(IO_TYPES),)),
    "error_output": Boolean("Denotes that the deployment is in an error state if this output has a value.",
                            default=False),
}


class SoftwareConfig(Resource):
    """A configuration script (or manifest) with the inputs and outputs it expects."""

    type_name = "OS::Heat::SoftwareConfig"
    description = "Describes and stores a software configuration."
    blocking = False
    properties_schema = {
        "group": String("Namespace to group this software config by when delivered to a server; it may "
                        "imply which configuration tool will apply it.", default=UNGROUPED),
        "config": String("Configuration script or manifest which specifies what configuration is performed."),
        "options": Map("Options specific to the configuration tool used."),
        "inputs": List("Schema of the inputs this software config expects.", schema=Map(schema=INPUT_SCHEMA)),
        "outputs": List("Schema of the outputs this software config produces.", schema=Map(schema=OUTPUT_SCHEMA)),
    }
    attributes_schema = {
        "config": Attribute("The config value of the software config.", type="string"),
    }

    @classmethod
    def validate(cls, properties: Mapping[str, Any], unknown: frozenset[str]) -> Iterable[PropertyProblem]:
        """An input's default must be a value of the input's type."""
        if "inputs" in unknown:
            return []
        problems = []
        for index, item in enumerate(properties.get("inputs") or []):
            default, io_type = item.get("default"), item.get("type") or "String"
            if default is None or (default == "" and io_type != "String"):  # empty: Heat's legacy leniency
                continue
            try:
                convert(ParameterSchema("default", IO_TYPES[io_type]), default)
            except InvalidArguments as exc:
                problems.append(PropertyProblem(("inputs", index, "default"), exc.message))
        return problems

    def create(self) -> None:
        config_id = str(uuid.uuid4())
        self.set_data(CONFIG_KEY, {"id": config_id, "name": self.runtime.physical_name(), **self.build()})
        self.set_physical_id(config_id)

    def build(self) -> dict[str, Any]:
        """The stored config but for its id and name (the software-config API's fields)."""
        return {
            "group": self.properties.get("group") or UNGROUPED,
            "config": self.properties.get("config"),
            "options": self.properties.get("options") or {},
            "inputs": [_io(item, drop_false=("replace_on_change",)) for item in self.properties.get("inputs") or []],
            "outputs": [_io(item) for item in self.properties.get("outputs") or []],
        }

    def resolve_attribute(self, name: str) -> Any:
        if name == "config":
            return (self.data.get(CONFIG_KEY) or {}).get("config")
        return super().resolve_attribute(name)


def _io(item: Mapping[str, Any], drop_false: tuple[str, ...] = ()) -> dict[str, Any]:
    """An input or output as stored: unset fields left out, as Heat stores them."""
    return {key: value for key, value in item.items()
            if value is not None and not (key in drop_false and value is False)}


class CloudConfig(SoftwareConfig):
    """cloud-init's cloud-config, written as a map and stored as ``#cloud-config`` YAML."""

    type_name = "OS::Heat::CloudConfig"
    description = "A cloud-init cloud-config, given as a map and stored as YAML."
    properties_schema = {
        "cloud_config": Map("Map representing the cloud-config data structure which will be formatted as YAML."),
    }

    def build(self) -> dict[str, Any]:
        text = yaml.safe_dump(self.properties.get("cloud_config"))
        return {"group": UNGROUPED, "config": f"#cloud-config\n{text}", "options": {}, "inputs": [], "outputs": []}


class MultipartMime(SoftwareConfig):
    """Several configs as one MIME multipart message, the form cloud-init reads from ``user_data``.

    A part's ``config`` is either the text itself or the reference (id) of a
    config resource of this stack, whose stored config is used.  A part of
    type ``multipart`` is itself a multipart message whose parts are added
    one by one.
    """

    type_name = "OS::Heat::MultipartMime"
    description = "Assembles software configs into one multipart MIME message."
    blocking = True  # reads referenced configs from the database
    properties_schema = {
        "parts": List("Parts belonging to this message.", default=[], schema=Map(schema={
            "config": String("Content of the part: inline, or the id of another software config resource.",
                             required=True),
            "filename": String("Optional filename to associate with the part."),
            "type": String("Whether the part content is text or multipart.", default="text",
                           constraints=(AllowedValues(("text", "multipart")),)),
            "subtype": String("Optional subtype to specify with the type."),
        })),
        "group": String("Namespace to group this software config by when delivered to a server.",
                        default=UNGROUPED),
    }

    def build(self) -> dict[str, Any]:
        parts: list[Message] = []
        for item in self.properties.get("parts") or []:
            content = self._content(item["config"])
            if item.get("type") == "multipart":
                parts.extend(_split(content))
            else:
                parts.append(_part(content, item.get("subtype"), item.get("filename")))
        message = MIMEMultipart(_subparts=parts).as_string()
        return {"group": self.properties.get("group") or UNGROUPED, "config": message, "options": {},
                "inputs": [], "outputs": []}

    def _content(self, config: str) -> str:
        """The stored config of the config resource ``config`` refers to, else ``config`` itself."""
        if not _is_uuid(config):
            return config
        row = self.runtime.service("stack").resource_by_reference(config)
        stored = ((row or {}).get("data") or {}).get(CONFIG_KEY) or {}
        text = stored.get("config")
        return text if isinstance(text, str) else config


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _part(content: str, subtype: str | None, filename: str | None) -> MIMEText:
    """One text part; without a subtype, the file name's stem gives it (Heat's rule), else ``plain``."""
    if not subtype and filename:
        subtype = os.path.splitext(filename)[0]
    part = MIMEText(content, _subtype=subtype or "plain")
    if filename:
        part.add_header("Content-Disposition", "attachment", filename=filename)
    return part


def _split(content: str) -> list[MIMEText]:
    """The parts of a multipart message (nothing if ``content`` is not one)."""
    message = email.message_from_string(content)
    if not message.is_multipart():
        return []
    return [_part(_text_of(part), part.get_content_subtype(), part.get_filename())
            for part in message.get_payload()]


def _text_of(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if payload is None:
        return str(part.get_payload())
    return payload.decode(part.get_content_charset() or "utf-8", errors="replace")
