"""Request and response schemas (marshmallow): they check what clients send and document the API.

Request schemas ignore keys they do not know, as Heat does.  Response
schemas are used for the OpenAPI document; views build their dicts in
``formats`` (Heat's responses carry many optional keys, and listing 500
stacks should not pay for a second serialisation).
"""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates

#: Heat's stack names: a letter, then letters, digits, ``_``, ``-`` and ``.``; at most 255 characters
STACK_NAME = validate.And(validate.Length(min=1, max=255),
                          validate.Regexp(r"^[a-zA-Z][a-zA-Z0-9_.-]*$",
                                          error="Invalid stack name {input}, must start with a letter and "
                                                "contain only alphanumeric characters, underscores, "
                                                "periods and hyphens"))


class Lenient(Schema):
    class Meta:
        unknown = EXCLUDE


class Tags(fields.Field):
    """Tags as a list or Heat's comma-separated string; each at most 80 characters."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value is None:
            return None
        tags = value.split(",") if isinstance(value, str) else value
        if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
            raise ValidationError("Tags must be a list of strings or a comma-separated string.")
        tags = [tag.strip() for tag in tags if tag.strip()]
        too_long = [tag for tag in tags if len(tag) > 80]
        if too_long:
            raise ValidationError(f"Tag {too_long[0]} is longer than 80 characters.")
        return tags


class TemplateField(fields.Field):
    """A template or environment: a mapping, or YAML/JSON text the engine parses."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value is not None and not isinstance(value, (dict, str)):
            raise ValidationError("Must be a mapping or a YAML/JSON document.")
        return value


class StackBody(Lenient):
    """What stack create, update and preview send (openstacksdk sends it unwrapped, like heatclient)."""

    stack_name = fields.String(validate=STACK_NAME, metadata={"description": "Name of the stack (create)."})
    template = TemplateField(allow_none=True)
    template_url = fields.String(allow_none=True)
    parameters = fields.Dict(keys=fields.String(), load_default=dict, allow_none=True)
    environment = TemplateField(allow_none=True)
    environment_files = fields.List(fields.String(), allow_none=True)
    files = fields.Dict(keys=fields.String(), load_default=dict, allow_none=True)
    disable_rollback = fields.Boolean(allow_none=True)
    timeout_mins = fields.Integer(allow_none=True, validate=validate.Range(min=1))
    tags = Tags(allow_none=True)
    adopt_stack_data = fields.Raw(allow_none=True)
    clear_parameters = fields.List(fields.String(), load_default=list)
    existing = fields.Boolean(load_default=False)

    @validates("files")
    def _files_are_text(self, files, **_):
        for key, value in (files or {}).items():
            if not isinstance(value, str):
                raise ValidationError(f"files[{key}] must be text.")


class StackListArgs(Lenient):
    """Heat's stack list query."""

    id = fields.List(fields.String())
    name = fields.List(fields.String())
    status = fields.List(fields.String())
    action = fields.List(fields.String())
    tenant = fields.List(fields.String())
    username = fields.List(fields.String())
    owner_id = fields.List(fields.String())
    limit = fields.Integer(validate=validate.Range(min=0))
    marker = fields.String()
    sort_keys = fields.List(fields.String())
    sort_dir = fields.String(validate=validate.OneOf(("asc", "desc")), load_default="desc")
    show_deleted = fields.Boolean(load_default=False)
    show_nested = fields.Boolean(load_default=False)
    show_hidden = fields.Boolean(load_default=False)
    global_tenant = fields.Boolean(load_default=False)
    with_count = fields.Boolean(load_default=False)
    tags = Tags()
    tags_any = Tags()
    not_tags = Tags()
    not_tags_any = Tags()


class ShowStackArgs(Lenient):
    resolve_outputs = fields.Boolean(load_default=True)


class PreviewUpdateArgs(Lenient):
    show_nested = fields.Boolean(load_default=False)


class ActionBody(Lenient):
    """Exactly one of Heat's stack actions, with a null value."""

    suspend = fields.Raw(allow_none=True)
    resume = fields.Raw(allow_none=True)
    check = fields.Raw(allow_none=True)
    cancel_update = fields.Raw(allow_none=True)
    cancel_without_rollback = fields.Raw(allow_none=True)


class SnapshotBody(Lenient):
    name = fields.String(allow_none=True, validate=validate.Length(max=255))


# -- responses (for the OpenAPI document) ---------------------------------------------------

class Link(Schema):
    href = fields.String()
    rel = fields.String()


class StackSummary(Schema):
    id = fields.String()
    stack_name = fields.String()
    description = fields.String()
    stack_status = fields.String(metadata={"description": "ACTION_STATUS, e.g. CREATE_COMPLETE"})
    stack_status_reason = fields.String()
    creation_time = fields.String()
    updated_time = fields.String(allow_none=True)
    deletion_time = fields.String(allow_none=True)
    project = fields.String()
    stack_owner = fields.String(allow_none=True)
    stack_user_project_id = fields.String()
    parent = fields.String(allow_none=True)
    tags = fields.List(fields.String(), allow_none=True)
    links = fields.List(fields.Nested(Link))


class Output(Schema):
    output_key = fields.String()
    output_value = fields.Raw()
    description = fields.String()
    output_error = fields.String(metadata={"description": "present only when the output failed"})


class StackDetail(StackSummary):
    template_description = fields.String()
    parameters = fields.Dict()
    outputs = fields.List(fields.Nested(Output))
    disable_rollback = fields.Boolean()
    timeout_mins = fields.Integer(allow_none=True)
    capabilities = fields.List(fields.String())
    notification_topics = fields.List(fields.String())


class StackList(Schema):
    stacks = fields.List(fields.Nested(StackSummary))
    count = fields.Integer(metadata={"description": "with with_count=true"})


class StackShown(Schema):
    stack = fields.Nested(StackDetail)


class StackCreated(Schema):
    stack = fields.Nested(Schema.from_dict({"id": fields.String(), "links": fields.List(fields.Nested(Link))}))


class ResourceChanges(Schema):
    resource_changes = fields.Dict(keys=fields.String(), values=fields.List(fields.Dict()))


class Snapshot(Schema):
    id = fields.String()
    name = fields.String(allow_none=True)
    stack_id = fields.String()
    data = fields.Dict()
    action = fields.String()
    status = fields.String()
    status_reason = fields.String()
    creation_time = fields.String()


# -- validate, resource types, template versions (requests, then responses) -------------------

class ValidateBody(Lenient):
    """What ``openstack orchestration template validate`` sends (the template fields of a create)."""

    template = TemplateField(allow_none=True, metadata={"description": "The template: a mapping or YAML/JSON text."})
    template_url = fields.String(allow_none=True, metadata={"description": "Not supported: send the template."})
    parameters = fields.Dict(keys=fields.String(), load_default=dict, allow_none=True)
    environment = TemplateField(allow_none=True)
    environment_files = fields.List(fields.String(), allow_none=True,
                                    metadata={"description": "Keys of ``files`` merged in order as environments; "
                                                             "``environment`` is then ignored, as in Heat."})
    files = fields.Dict(keys=fields.String(), load_default=dict, allow_none=True)

    @validates("files")
    def _files_are_text(self, files, **_):
        for key, value in (files or {}).items():
            if not isinstance(value, str):
                raise ValidationError(f"files[{key}] must be text.")


class ValidateArgs(Lenient):
    show_nested = fields.Boolean(load_default=False,
                                 metadata={"description": "Add the parameters of nested templates."})
    ignore_errors = fields.String(metadata={"description": "Comma-separated error codes to ignore (Heat's 99001)."})


class ResourceTypeListArgs(Lenient):
    name = fields.String(metadata={"description": "A regular expression the type name must match."})
    support_status = fields.String(metadata={"description": "UNKNOWN, SUPPORTED, DEPRECATED, UNSUPPORTED or HIDDEN"})
    version = fields.String(metadata={"description": "The version the types were added in."})
    with_description = fields.Boolean(load_default=False)


class GeneratedTemplateArgs(Lenient):
    template_type = fields.String(load_default="cfn", metadata={"description": "hot or cfn (Heat's default)."})


class TemplateFunctionArgs(Lenient):
    with_condition_func = fields.Boolean(load_default=False)


class ValidatedParameter(Schema):
    """One parameter as Heat's validate call describes it (CloudFormation-style keys)."""

    Type = fields.String(metadata={"description": "String, Number, CommaDelimitedList, Json or Boolean"})
    Description = fields.String()
    Default = fields.Raw(metadata={"description": "the template's default, or the environment's parameter_defaults"})
    NoEcho = fields.String(metadata={"description": '"true" for hidden parameters, else "false"'})
    Label = fields.String()
    Value = fields.Raw(metadata={"description": "the value given, when one was"})
    Tags = fields.List(fields.String())
    AllowedValues = fields.List(fields.Raw())
    AllowedPattern = fields.String()
    MinLength = fields.Integer()
    MaxLength = fields.Integer()
    MinValue = fields.Float()
    MaxValue = fields.Float()
    Step = fields.Integer()
    Offset = fields.Integer()
    CustomConstraint = fields.String()
    ConstraintDescription = fields.String()


class ValidateResult(Schema):
    Description = fields.String()
    Parameters = fields.Dict(keys=fields.String(), values=fields.Nested(ValidatedParameter))
    ParameterGroups = fields.List(fields.Dict(), metadata={"description": "as the template has them"})
    NestedParameters = fields.Dict(metadata={"description": "with show_nested: by resource, Type, Description, "
                                                            "Parameters (and their own NestedParameters)"})
    Environment = fields.Dict(metadata={"description": "the environment the request describes, merged"})


class SupportStatus(Schema):
    status = fields.String()
    version = fields.String(allow_none=True)
    message = fields.String(allow_none=True)
    previous_status = fields.Dict(allow_none=True)


class ResourceTypeList(Schema):
    resource_types = fields.List(fields.Raw(), metadata={
        "description": "type names, or {resource_type, description} with with_description=true"})


class ResourceTypeSchema(Schema):
    resource_type = fields.String()
    properties = fields.Dict(metadata={"description": "name -> {type, description, required, default, "
                                                      "update_allowed, immutable, constraints, schema}"})
    attributes = fields.Dict(metadata={"description": "name -> {description, type}"})
    support_status = fields.Nested(SupportStatus)
    description = fields.String()


class TemplateVersion(Schema):
    version = fields.String(metadata={"description": "e.g. heat_template_version.2016-10-14"})
    type = fields.String(metadata={"description": "hot"})
    aliases = fields.List(fields.String())


class TemplateVersionList(Schema):
    template_versions = fields.List(fields.Nested(TemplateVersion))


class TemplateFunction(Schema):
    functions = fields.String(metadata={"description": "the function's name"})
    description = fields.String()


class TemplateFunctionList(Schema):
    template_functions = fields.List(fields.Nested(TemplateFunction))


class Revision(Schema):
    revision = fields.String()


class BuildInfo(Schema):
    api = fields.Nested(Revision)
    engine = fields.Nested(Revision)


# -- resources, events, signals (requests, then responses) ------------------------------------

class ResourceListArgs(Lenient):
    """Heat's resource list query: nesting, detail and filters (each filter may repeat)."""

    nested_depth = fields.Integer(load_default=0, validate=validate.Range(min=0),
                                  metadata={"description": "List resources of nested stacks down to this depth "
                                                           "(capped at the service's maximum nesting)."})
    with_detail = fields.Boolean(load_default=False, metadata={"description": "Add description and metadata."})
    type = fields.List(fields.String(), metadata={"description": "resource type"})
    status = fields.List(fields.String(), metadata={"description": "COMPLETE, or CREATE_COMPLETE"})
    name = fields.List(fields.String())
    action = fields.List(fields.String())
    id = fields.List(fields.String())
    physical_resource_id = fields.List(fields.String())


class ResourceShowArgs(Lenient):
    with_attr = fields.List(fields.String(), load_default=list,
                            metadata={"description": "Attributes to show besides the type's own."})


class MarkUnhealthyBody(Schema):
    """``PATCH .../resources/<name>``: Heat refuses any other key."""

    mark_unhealthy = fields.Boolean(required=True,
                                    error_messages={"required": "Missing mandatory (mark_unhealthy) key from "
                                                                "mark unhealthy request",
                                                    "invalid": "mark_unhealthy is not a boolean"})
    resource_status_reason = fields.String(load_default="", allow_none=True)


class EventListArgs(Lenient):
    """Heat's event list query."""

    limit = fields.Integer(validate=validate.Range(min=0))
    marker = fields.String(metadata={"description": "An event id: list the events after it."})
    sort_keys = fields.List(fields.String(), metadata={"description": "event_time (created_at), resource_type, "
                                                                      "resource_name, resource_action, "
                                                                      "resource_status"})
    sort_dir = fields.String(validate=validate.OneOf(("asc", "desc")), load_default="asc")
    nested_depth = fields.Integer(load_default=0, validate=validate.Range(min=0),
                                  metadata={"description": "Add the events of nested stacks down to this depth."})
    resource_action = fields.List(fields.String(), metadata={"description": "e.g. CREATE"})
    resource_status = fields.List(fields.String(), metadata={"description": "e.g. COMPLETE"})
    resource_name = fields.List(fields.String())
    resource_type = fields.List(fields.String())


class ResourceSchema(Schema):
    resource_name = fields.String()
    logical_resource_id = fields.String()
    physical_resource_id = fields.String()
    resource_type = fields.String()
    resource_status = fields.String(metadata={"description": "ACTION_STATUS, e.g. CREATE_COMPLETE"})
    resource_status_reason = fields.String()
    required_by = fields.List(fields.String())
    creation_time = fields.String()
    updated_time = fields.String()
    links = fields.List(fields.Nested(Link), metadata={"description": "self, stack, and nested for nested stacks"})
    parent_resource = fields.String(metadata={"description": "resources of nested stacks: the parent's resource"})
    stack_name = fields.String()
    description = fields.String()
    metadata = fields.Dict()
    attributes = fields.Dict(metadata={"description": "shown resources only"})


class ResourceList(Schema):
    resources = fields.List(fields.Nested(ResourceSchema))


class ResourceShown(Schema):
    resource = fields.Nested(ResourceSchema)


class ResourceMetadata(Schema):
    metadata = fields.Dict()


class EventSchema(Schema):
    id = fields.String()
    event_time = fields.String()
    resource_name = fields.String(metadata={"description": "the stack's name for events of the stack itself"})
    logical_resource_id = fields.String()
    physical_resource_id = fields.String()
    resource_status = fields.String(metadata={"description": "ACTION_STATUS"})
    resource_status_reason = fields.String()
    resource_type = fields.String(metadata={"description": "shown events only"})
    resource_properties = fields.Dict(metadata={"description": "shown events only"})
    links = fields.List(fields.Nested(Link), metadata={"description": "self, resource, stack (root_stack with "
                                                                      "nested_depth)"})


class EventList(Schema):
    events = fields.List(fields.Nested(EventSchema))


class EventShown(Schema):
    event = fields.Nested(EventSchema)


# -- stack data, actions and snapshots (responses) ---------------------------------------------

class OutputKey(Schema):
    output_key = fields.String()
    description = fields.String()


class OutputList(Schema):
    outputs = fields.List(fields.Nested(OutputKey))


class OutputShown(Schema):
    output = fields.Nested(Output)


class StackData(Schema):
    """A stack's export or abandon data (Heat's format: what ``adopt_stack_data`` takes back)."""

    id = fields.String()
    name = fields.String()
    action = fields.String()
    status = fields.String()
    template = fields.Dict()
    environment = fields.Dict(metadata={"description": "with the parameter values as given (adopt needs them)"})
    files = fields.Dict()
    resources = fields.Dict(metadata={"description": "name -> {resource_id, type, action, status, metadata, "
                                                     "resource_data, resources (nested)}"})
    project_id = fields.String()
    stack_user_project_id = fields.String()
    tags = fields.List(fields.String())


class SnapshotList(Schema):
    snapshots = fields.List(fields.Nested(Snapshot))


class SnapshotShown(Schema):
    snapshot = fields.Nested(Snapshot)


class ResourceChange(Schema):
    """One resource of an update preview (Heat keeps action and status apart here)."""

    resource_name = fields.String()
    logical_resource_id = fields.String()
    physical_resource_id = fields.String()
    resource_type = fields.String()
    resource_action = fields.String()
    resource_status = fields.String()
    resource_status_reason = fields.String()
    resource_identity = fields.Dict()
    stack_identity = fields.Dict()
    stack_name = fields.String()
    required_by = fields.List(fields.String())
    description = fields.String()
    metadata = fields.Dict()
    creation_time = fields.String(allow_none=True)
    updated_time = fields.String(allow_none=True)


class ResourceChangeLists(Schema):
    added = fields.List(fields.Nested(ResourceChange))
    deleted = fields.List(fields.Nested(ResourceChange))
    replaced = fields.List(fields.Nested(ResourceChange))
    unchanged = fields.List(fields.Nested(ResourceChange))
    updated = fields.List(fields.Nested(ResourceChange))


class ResourceChangesShown(Schema):
    resource_changes = fields.Nested(ResourceChangeLists)


class PreviewedResource(Schema):
    resource_name = fields.String()
    resource_type = fields.String()
    resource_action = fields.String()
    resource_status = fields.String()
    properties = fields.Dict()
    required_by = fields.List(fields.String())


class PreviewedStack(StackDetail):
    resources = fields.List(fields.Raw(), metadata={
        "description": "resources as they would be made; a template resource is [itself, [its resources]]"})


class StackPreviewShown(Schema):
    stack = fields.Nested(PreviewedStack)


class StackDetailList(Schema):
    stacks = fields.List(fields.Nested(StackDetail))
    count = fields.Integer(metadata={"description": "with with_count=true"})


class HeatErrorDetail(Schema):
    message = fields.String(metadata={"description": "what heatclient prints after ERROR:"})
    type = fields.String(metadata={"description": "Heat's exception name, e.g. StackValidationFailed"})
    traceback = fields.String(allow_none=True)


class HeatError(Schema):
    """Heat's error body (for the document's error responses: ``ERROR_SCHEMA`` of the ``Api``)."""

    code = fields.Integer()
    title = fields.String()
    explanation = fields.String()
    error = fields.Nested(HeatErrorDetail)
