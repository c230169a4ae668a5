"""ask-sdk's serializer, with what it recomputes on every request worked out once.

Profiling the warm turn (bench/README.md) put a third of it in ask-sdk's
``DefaultSerializer``: for every model in every envelope it parses type strings with a
regular expression, imports the model's module by name and rebuilds the class's key
map, and for every response it walks the models the same way. It also dumps the event
Lambda has already parsed back to JSON, to parse it again, and reads timestamps with
dateutil's guessing parser. ``EventSerializer`` gives the same objects and the same
dicts (tests/alexa/test_serializer.py holds it to the SDK's on every fixture), with
each type string and class compiled into a reader or writer the first time it is met.

The session attributes it reads are a ``dict`` whose ``deepcopy`` (which ask-sdk's
``AttributesManager`` makes of them on every request) copies JSON values directly
instead of through ``copy.deepcopy``'s generic dispatch.

It does not derive from ``DefaultSerializer``: importing ``ask_sdk_core.serialize``
imports ``ask_sdk_model.services`` and every service client of the SDK (~45 ms of a
cold start, more than the skill's own modules), none of which this skill calls.
"""

from __future__ import annotations

import copy
import decimal
import importlib
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any, cast

from ask_sdk_core.exceptions import SerializationException
from ask_sdk_model import RequestEnvelope
from ask_sdk_model.session import Session

Reader = Callable[[Any], Any]

# Epoch numbers above this are milliseconds (Alexa's timestamps are ISO 8601 strings, but
# some clients send epoch milliseconds).
_EPOCH_MILLIS = 10**11
# The SDK's own patterns for container type strings, so that odd ones parse alike.
_LIST = re.compile(r"list\[(.*)\]")
_DICT = re.compile(r"dict\(([^,]*), (.*)\)")
# The SDK's type names and primitive types (ask_sdk_core.serialize.DefaultSerializer).
PRIMITIVE_TYPES = (float, bool, bytes, str, int)
NATIVE_TYPES_MAPPING: dict[str, type] = {
    "int": int,
    "long": int,
    "float": float,
    "str": str,
    "bool": bool,
    "date": date,
    "datetime": datetime,
    "object": object,
}
# Values written as they are, by exact type (subclasses take the general path).
_AS_IS = frozenset({str, int, float, bool})


def json_copy(value: Any, memo: dict[int, Any] | None = None) -> Any:
    """``copy.deepcopy`` for parsed JSON: dicts and lists copied, scalars shared (they are
    immutable); anything else goes to ``copy.deepcopy``."""
    kind = type(value)
    if kind is dict or kind is SessionAttributes:
        return {key: json_copy(item, memo) for key, item in value.items()}
    if kind is list:
        return [json_copy(item, memo) for item in value]
    if kind in _AS_IS or value is None:
        return value
    return copy.deepcopy(value, memo)


class SessionAttributes(dict[str, Any]):
    """The envelope's session attributes: a dict that deep-copies as JSON."""

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, Any]:
        return cast(dict[str, Any], json_copy(self, memo))


def read_timestamp(payload: Any, obj_type: Any) -> Any:
    """A ``date`` or ``datetime`` field: ISO 8601, epoch seconds or milliseconds, else
    dateutil's parser as the SDK reads it."""
    if isinstance(payload, int | float) and not isinstance(payload, bool):
        seconds = payload / 1000 if abs(payload) >= _EPOCH_MILLIS else payload
        try:
            parsed = datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise SerializationException(f"timestamp out of range: {payload}") from exc
    else:
        try:
            parsed = datetime.fromisoformat(payload)
        except (TypeError, ValueError):
            return _read_with_dateutil(payload, obj_type)
    return parsed.date() if obj_type is date else parsed


def _read_with_dateutil(payload: Any, obj_type: Any) -> Any:
    try:
        from dateutil.parser import parse
    except ImportError:
        return payload
    try:
        parsed = parse(payload)
    except ValueError as exc:
        raise SerializationException(
            f"Failed to parse {payload} into '{obj_type.__name__}' object"
        ) from exc
    return parsed.date() if obj_type is date else parsed


def read_primitive(payload: Any, obj_type: Any) -> Any:
    """A primitive field, cast as the SDK casts it."""
    try:
        return obj_type(payload)
    except UnicodeEncodeError:
        return str(payload)
    except TypeError:
        return payload
    except ValueError as exc:
        raise SerializationException(
            f"Failed to parse {payload} into '{obj_type.__name__}' object"
        ) from exc


def load_class(class_name: str) -> Any:
    """The class a model's type string names (``ask_sdk_model.session.Session``)."""
    try:
        module_name, _, name = class_name.rpartition(".")
        if module_name:
            return getattr(importlib.import_module(module_name), name)
        return globals()[name]
    except Exception as exc:
        raise SerializationException(
            f"Unable to resolve class {class_name} from installed modules: {exc}"
        ) from exc


class EventSerializer:
    """ask-sdk's ``DefaultSerializer`` for Lambda events, compiled per type (see above).

    It reads the event as the dict Lambda has already parsed, and Alexa's ISO 8601
    timestamps with ``datetime.fromisoformat`` (under a microsecond, against dateutil's
    ~90 us), falling back to dateutil for anything else. Epoch numbers are read as such
    instead of failing.
    """

    def __init__(self) -> None:
        self._readers: dict[str, Reader] = {}
        self._models: dict[type, Reader] = {}
        self._plans: dict[type, tuple[tuple[tuple[str, str], ...], frozenset[str]]] = {}
        self._fields: dict[type, tuple[tuple[str, str], ...]] = {}

    def deserialize_event(self, event: dict[str, Any]) -> RequestEnvelope:
        return cast(RequestEnvelope, self._model_reader(RequestEnvelope)(event))

    # --- reading ------------------------------------------------------------------------

    def _read(self, payload: Any, obj_type: str) -> Any:
        if payload is None:
            return None
        reader = self._readers.get(obj_type)
        if reader is None:
            # Not cached until it compiles: a class that cannot be found fails every time.
            reader = self._readers[obj_type] = self._compile(obj_type)
        return reader(payload)

    def _compile(self, obj_type: str) -> Reader:
        read = self._read
        if obj_type.startswith("list["):
            match = _LIST.match(obj_type)
            if match is None:
                return lambda payload: []
            inner = match.group(1)
            if "," in inner:
                kinds = [kind.strip() for kind in inner.split(",")]
                return lambda payload: [read(p, k) for p, k in zip(payload, kinds, strict=False)]
            kind = inner.strip()
            return lambda payload: [read(p, kind) for p in payload]
        if obj_type.startswith("dict("):
            match = _DICT.match(obj_type)
            if match is None:
                return lambda payload: {}
            kind = match.group(2)
            if kind == "object":
                return lambda payload: {k: v for k, v in payload.items()}
            return lambda payload: {k: read(v, kind) for k, v in payload.items()}
        target = NATIVE_TYPES_MAPPING.get(obj_type)
        if target is None:
            target = load_class(obj_type)
        return self._class_reader(target)

    def _class_reader(self, target: Any) -> Reader:
        if target in PRIMITIVE_TYPES:
            return lambda payload: read_primitive(payload, target)
        if target is object:
            return lambda payload: payload
        if target in (date, datetime):
            return lambda payload: read_timestamp(payload, target)
        return self._model_reader(target)

    def _model_reader(self, cls: Any) -> Reader:
        reader = self._models.get(cls)
        if reader is None:
            reader = self._models[cls] = self._make_model_reader(cls)
        return reader

    def _make_model_reader(self, cls: Any) -> Reader:
        return lambda payload: self._guarded(cls, payload)

    def _guarded(self, cls: Any, payload: Any) -> Any:
        # As the SDK does, every failure inside a model becomes a SerializationException.
        try:
            if issubclass(cls, Enum):
                return cls(payload)
            if not hasattr(cls, "deserialized_types"):
                return payload
            if hasattr(cls, "get_real_child_model"):
                name = cls.get_real_child_model(payload)
                if not name:
                    raise SerializationException(
                        f"Couldn't resolve object by discriminator type for {cls} class"
                    )
                cls = load_class(name)
            return self._fill(cls, payload)
        except Exception as exc:
            raise SerializationException(str(exc)) from exc

    def _plan(self, cls: Any) -> tuple[tuple[tuple[str, str], ...], frozenset[str]]:
        plan = self._plans.get(cls)
        if plan is None:
            keys = dict(getattr(cls, "attribute_map", {}))
            keys.update({k: k for k in cls.deserialized_types if k not in keys})
            plan = self._plans[cls] = (tuple(keys.items()), frozenset(keys.values()))
        return plan

    def _fill(self, cls: Any, payload: Any) -> Any:
        fields, known = self._plan(cls)
        types = cls.deserialized_types
        model = cls()
        read = self._read
        for name, key in fields:
            if key in payload:
                setattr(model, name, read(payload[key], types[name]))
        for extra in payload:
            if extra not in known:
                setattr(model, extra, payload[extra])
        if cls is Session and type(model.attributes) is dict:
            model.attributes = SessionAttributes(model.attributes)
        return model

    # --- writing ------------------------------------------------------------------------

    def serialize(self, obj: Any) -> Any:
        """The object as JSON values, exactly as ``DefaultSerializer.serialize`` writes it."""
        if obj is None:
            return None
        kind = type(obj)
        if kind in _AS_IS:
            return obj
        if kind is dict or kind is SessionAttributes:
            return {key: self.serialize(value) for key, value in obj.items()}
        if kind is list:
            return [self.serialize(item) for item in obj]
        fields = self._fields.get(kind)
        if fields is None:
            # The SDK's order of cases, for everything but plain JSON values and models.
            if isinstance(obj, PRIMITIVE_TYPES):
                return obj
            if isinstance(obj, list):
                return [self.serialize(item) for item in obj]
            if isinstance(obj, tuple):
                return tuple(self.serialize(item) for item in obj)
            if isinstance(obj, datetime | date):
                return obj.isoformat()
            if isinstance(obj, Enum):
                return obj.value
            if isinstance(obj, decimal.Decimal):
                return int(obj) if obj % 1 == 0 else float(obj)
            if isinstance(obj, dict):
                return {key: self.serialize(value) for key, value in obj.items()}
            keys = dict(getattr(kind, "attribute_map", {}))
            keys.update({k: k for k in obj.deserialized_types if k not in keys})
            fields = self._fields[kind] = tuple(
                (name, keys[name]) for name in obj.deserialized_types
            )
        out = {}
        for name, key in fields:
            value = getattr(obj, name)
            if value is not None:
                out[key] = self.serialize(value)
        return out
