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
"""

from __future__ import annotations

import copy
import decimal
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any, cast

from ask_sdk_core.exceptions import SerializationException
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope
from ask_sdk_model.session import Session

Reader = Callable[[Any], Any]

# Epoch numbers above this are milliseconds (Alexa's timestamps are ISO 8601 strings, but
# some clients send epoch milliseconds).
_EPOCH_MILLIS = 10**11
# The SDK's own patterns for container type strings, so that odd ones parse alike.
_LIST = re.compile(r"list\[(.*)\]")
_DICT = re.compile(r"dict\(([^,]*), (.*)\)")
# Values the SDK's serializer returns as they are; exact types, subclasses take the SDK's path.
_AS_IS = frozenset({str, int, float, bool})
# What the SDK's serializer handles before it treats an object as a model.
_NOT_MODELS = (
    *DefaultSerializer.PRIMITIVE_TYPES,
    list,
    tuple,
    datetime,
    date,
    Enum,
    decimal.Decimal,
)


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


class EventSerializer(DefaultSerializer):
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
        target = self.NATIVE_TYPES_MAPPING.get(obj_type)
        if target is None:
            target = self._DefaultSerializer__load_class_from_name(obj_type)  # type: ignore[attr-defined]
        return self._class_reader(target)

    def _class_reader(self, target: Any) -> Reader:
        if target in self.PRIMITIVE_TYPES:
            primitive = self._DefaultSerializer__deserialize_primitive  # type: ignore[attr-defined]
            return lambda payload: primitive(payload, target)
        if target is object:
            return lambda payload: payload
        if target in (date, datetime):
            moment = self._DefaultSerializer__deserialize_datetime
            return lambda payload: moment(payload, target)
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
                cls = self._DefaultSerializer__load_class_from_name(name)  # type: ignore[attr-defined]
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

    # Overrides DefaultSerializer.__deserialize_datetime (a name-mangled private method).
    def _DefaultSerializer__deserialize_datetime(self, payload: Any, obj_type: Any) -> Any:
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
                return super()._DefaultSerializer__deserialize_datetime(payload, obj_type)  # type: ignore[misc]
        return parsed.date() if obj_type is date else parsed

    # --- writing ------------------------------------------------------------------------

    def serialize(self, obj: Any) -> Any:
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
            if isinstance(obj, _NOT_MODELS):
                return super().serialize(obj)
            if not hasattr(kind, "deserialized_types"):
                return super().serialize(obj)
            keys = dict(getattr(kind, "attribute_map", {}))
            keys.update({k: k for k in kind.deserialized_types if k not in keys})
            fields = self._fields[kind] = tuple(
                (name, keys[name]) for name in kind.deserialized_types
            )
        out = {}
        for name, key in fields:
            value = getattr(obj, name)
            if value is not None:
                out[key] = self.serialize(value)
        return out
