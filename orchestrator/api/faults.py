"""Errors as Heat reports them: a status code and Heat's JSON error body.

heatclient prints ``error.message`` of the body; openstacksdk reads the same.
Every refusal the engine or the template package raises maps to Heat's status
for it here, in one table, and nothing else reaches a client as a traceback.
"""

from __future__ import annotations

import logging

from flask import Flask, current_app, jsonify, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from orchestrator.engine.errors import NotSupported, RequestLimitExceeded, StackExists, StackNotFound
from orchestrator.engine.locks import StackBusy
from orchestrator.engine.signals import SignalRefused
from orchestrator.engine.snapshots import SnapshotRefused
from orchestrator.keystone import KeystoneUnreachable, TrustError
from orchestrator.template.errors import TemplateError

log = logging.getLogger(__name__)

#: status → (title, explanation), as Heat's API words them
STATUS_TEXT = {
    400: ("Bad Request", "The server could not comply with the request since it is either malformed or "
                         "otherwise incorrect."),
    401: ("Unauthorized", "This server could not verify that you are authorized to access the document you "
                          "requested. Either you supplied the wrong credentials (e.g., bad password), or your "
                          "browser does not understand how to supply the credentials required."),
    403: ("Forbidden", "Access was denied to this resource."),
    404: ("Not Found", "The resource could not be found."),
    405: ("Method Not Allowed", "The method is not allowed for the requested URL."),
    409: ("Conflict", "There was a conflict when trying to complete your request."),
    413: ("Request Entity Too Large", "The request is larger than the server is willing or able to process."),
    415: ("Unsupported Media Type", "The request media type is not supported by this server."),
    500: ("Internal Server Error", "The server has either erred or is incapable of performing the requested "
                                   "operation."),
    503: ("Service Unavailable", "The server is currently unavailable. Please try again at a later time."),
}


class ApiError(Exception):
    """A refusal raised by the API itself: ``status`` and Heat's error ``type`` name."""

    def __init__(self, status: int, message: str, error_type: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_type = error_type or _DEFAULT_TYPES.get(status, "HTTPException")


class NotFound(ApiError):
    def __init__(self, message: str, error_type: str = "EntityNotFound"):
        super().__init__(404, message, error_type)


class BadRequest(ApiError):
    def __init__(self, message: str, error_type: str = "HTTPBadRequest"):
        super().__init__(400, message, error_type)


class Forbidden(ApiError):
    def __init__(self, message: str = "You are not authorized to complete this action."):
        super().__init__(403, message, "Forbidden")


class Unauthorized(ApiError):
    def __init__(self, message: str = "Authentication required"):
        super().__init__(401, message, "HTTPUnauthorized")


_DEFAULT_TYPES = {400: "HTTPBadRequest", 401: "HTTPUnauthorized", 403: "Forbidden", 404: "HTTPNotFound",
                  405: "HTTPMethodNotAllowed", 409: "HTTPConflict", 413: "RequestLimitExceeded",
                  415: "HTTPUnsupportedMediaType", 500: "HTTPInternalServerError"}

#: engine and template refusals → (status, Heat's error type)
ENGINE_ERRORS: dict[type[BaseException], tuple[int, str]] = {
    StackNotFound: (404, "EntityNotFound"),
    StackExists: (409, "StackExists"),
    StackBusy: (409, "ActionInProgress"),
    RequestLimitExceeded: (400, "RequestLimitExceeded"),
    NotSupported: (400, "NotSupported"),
    SignalRefused: (400, "ResourceFailure"),
    SnapshotRefused: (400, "NotSupported"),
    TemplateError: (400, "StackValidationFailed"),
    # Keystone would not make the stack's trust from the caller's token (Heat: MissingCredentialError)
    TrustError: (400, "MissingCredentialError"),
    KeystoneUnreachable: (503, "HTTPServiceUnavailable"),
}


def error_body(status: int, message: str, error_type: str) -> dict:
    """Heat's error body."""
    title, explanation = STATUS_TEXT.get(status, ("Error", ""))
    return {"code": status, "title": title, "explanation": explanation,
            "error": {"message": message, "type": error_type, "traceback": None}}


def error_response(status: int, message: str, error_type: str):
    response = jsonify(error_body(status, message, error_type))
    response.status_code = status
    return response


def engine_error(exc: BaseException) -> tuple[int, str, str] | None:
    """``(status, message, type)`` for an engine or template refusal, ``None`` for anything else."""
    for cls in type(exc).__mro__:
        if cls in ENGINE_ERRORS:
            status, error_type = ENGINE_ERRORS[cls]
            message = exc.message if isinstance(exc, TemplateError) else str(exc)
            return status, message, error_type
    return None


def install(app: Flask) -> None:
    """Make every error of ``app`` answer with Heat's body."""

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        return error_response(exc.status, exc.message, exc.error_type)

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(exc: RequestEntityTooLarge):
        # werkzeug's own text does not say what the limit is
        limit = current_app.config["MAX_CONTENT_LENGTH"]
        size = f" ({request.content_length} bytes)" if request.content_length else ""
        return error_response(413, f"Request body size{size} exceeds maximum allowed size ({limit} bytes).",
                              "RequestLimitExceeded")

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        message = exc.description or STATUS_TEXT.get(exc.code or 500, ("", ""))[1]
        messages = getattr(exc, "data", {}).get("messages") if hasattr(exc, "data") else None
        if messages:  # marshmallow validation errors, through flask-smorest's abort
            message = _validation_message(messages)
        response = error_response(exc.code or 500, message, _DEFAULT_TYPES.get(exc.code or 500, type(exc).__name__))
        if exc.code == 405 and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        known = engine_error(exc)
        if known is not None:
            return error_response(*known)
        log.exception("unexpected error")
        return error_response(500, f"{type(exc).__name__}: the request could not be completed; "
                                   "the service log has the details", "HTTPInternalServerError")


def _validation_message(messages: dict) -> str:
    """One line from marshmallow's nested ``{location: {field: [messages]}}``."""
    parts = []
    for location, fields in messages.items():
        if isinstance(fields, dict):
            for name, problems in fields.items():
                text = "; ".join(problems) if isinstance(problems, list) and all(
                    isinstance(p, str) for p in problems) else str(problems)
                parts.append(f"{name}: {text}" if location == "json" else f"{location} {name}: {text}")
        else:
            parts.append(f"{location}: {fields}")
    return "; ".join(parts) or "Invalid request"
