"""Settings problems in words an operator can act on: one line each, naming the key, never its value.

Values are left out on purpose: a misspelled ``redis_ur`` may hold a password, a ``token`` typed
without quotes is still the token. Unknown keys get a "did you mean" among the keys of their section.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

# pydantic error types -> what to do about them.
_PHRASES = {
    "string_type": "must be text (in quotes in config.toml)",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "model_type": "must be a section (a [table] in config.toml)",
    "model_attributes_type": "must be a section (a [table] in config.toml)",
    "dict_type": "must be a section (a [table] in config.toml)",
    "greater_than": "must be more than {gt}",
    "greater_than_equal": "must be at least {ge}",
    "less_than_equal": "must be at most {le}",
    "literal_error": "must be one of {expected}",
    "missing": "is required",
}


class SettingsError(ValueError):
    """Settings that cannot be used; ``problems`` holds one line per problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


def _section(model: type[BaseModel], path: Sequence[str]) -> type[BaseModel] | None:
    """The settings model at ``path`` (``("telegram",)`` -> TelegramSettings), None when there is none."""
    for part in path:
        field = model.model_fields.get(part)
        annotation = field.annotation if field is not None else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return None
        model = annotation
    return model


def _did_you_mean(word: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


def explain(error: ValidationError, model: type[BaseModel], file: Path | None,
            reported: Collection[str] = ()) -> list[str]:
    """One line per error of ``error``: the key, where it may come from, what is wrong.

    Unknown keys in ``reported`` (dotted, already named as unknown environment variables) are left out.
    """
    where = f"{file} or PRESENCE_*" if file is not None else "PRESENCE_*"
    lines = []
    for problem in error.errors(include_url=False):
        path = _key_path(model, problem["loc"])
        context: Mapping[str, Any] = problem.get("ctx") or {}
        if "field" in context:  # a rule about one key checked on its whole section
            path.append(str(context["field"]))
        key = ".".join(path) or "settings"
        if problem["type"] == "extra_forbidden":
            if key in reported:
                continue
            section = _section(model, path[:-1])
            known = list(section.model_fields) if section is not None else []
            lines.append(f"unknown setting {key} in {where}{_did_you_mean(path[-1], known)}")
        else:
            lines.append(f"setting {key} ({where}) {_phrase(problem['type'], problem['msg'], context, problem.get('input'))}")
    return lines


def _key_path(model: type[BaseModel], loc: Sequence[Any]) -> list[str]:
    """The keys of an error location; pydantic may add labels of its own (union members), left out."""
    path: list[str] = []
    section: type[BaseModel] | None = model
    for part in loc:
        if not isinstance(part, str) or section is None:
            continue
        known = part in section.model_fields
        if known or part == loc[-1]:
            path.append(part)
        section = _section(section, [part]) if known else None
    return path


def _phrase(kind: str, message: str, context: Mapping[str, Any], value: object) -> str:
    """What is wrong, in words; a value only helps choose a "did you mean", it is never shown."""
    if kind == "value_error":
        return str(context.get("error", "is not valid"))
    if kind not in _PHRASES:
        # Our own rules (PydanticCustomError) word their message; pydantic's others may quote the value.
        return message.removeprefix(f"{context['field']} ") if "field" in context else "is not valid"
    phrase = _PHRASES[kind].format(**{k: context.get(k, "") for k in ("gt", "ge", "le", "expected")})
    if kind == "literal_error" and isinstance(value, str):
        options = [option.strip(" '") for option in str(context.get("expected", "")).replace(" or ", ",").split(",")]
        phrase += _did_you_mean(value, options)
    return phrase


def unknown_environment(environ: Mapping[str, str], prefix: str, model: type[BaseModel]) -> dict[str, str]:
    """``PRESENCE_*`` variables that name no setting (``PRESENCE_TELEGRAM__SECRET_TOKN``): the dotted key
    each would set (``telegram.secret_tokn``) -> one line about it."""
    valid = _variables(prefix, model)
    found = {}
    for name in sorted(environ):
        upper = name.upper()
        if upper.startswith(prefix) and upper not in valid:
            key = upper.removeprefix(prefix).lower().replace("__", ".")
            found[key] = f"unknown environment variable {name}{_did_you_mean(upper, sorted(valid))}"
    return found


def _variables(prefix: str, model: type[BaseModel]) -> set[str]:
    """Every variable name that sets something: each key, and each section as a whole (JSON)."""
    names = set()
    for key in model.model_fields:
        names.add(f"{prefix}{key.upper()}")
        section = _section(model, [key])
        if section is not None:
            names |= _variables(f"{prefix}{key.upper()}__", section)
    return names
