"""A Functional or Sequential model read as calls, in its own layer order: each layer with the
source that constructs it, each other operation a `keras.ops` call; what cannot be written (a
`Lambda`, a nested model, a class in `__main__`) is named."""

from __future__ import annotations

import inspect
import keyword
import re
from dataclasses import dataclass, field
from typing import Any

import keras

# names the generated code uses itself, which a layer's variable must not take
RESERVED = {"keras", "layers", "inputs", "outputs", "x", "self", "model", "spec", "build"}


class CannotGenerate(ValueError):
    """No style can be derived from this model; the message says why."""


class Unexpressible(ValueError):
    """A layer or value that source code cannot construct; the message names it."""


@dataclass(frozen=True)
class Call:
    """One layer or operation of the graph, applied once, in the model's order."""

    variable: str  # the attribute (subclassed) and the name its output may take
    constructor: str | None  # `layers.Dense(10)`; None for a `keras.ops` call
    arguments: str  # what it is applied to: `(x)`, `([x, shortcut])`; the whole call for an op
    inputs: tuple[str, ...]  # the tensors it reads, by their variable
    output: str  # the tensor it makes, by its variable
    layer: str  # the layer's name in the model, for reasons


@dataclass
class Graph:
    """A model as calls in order: what each style's source is written from."""

    name: str
    input_shape: tuple[int, ...]
    input_name: str | None
    calls: list[Call]  # in the order of construction: the model's layer order
    order: list[int]  # the calls' indices in the order the model runs them
    unsupported: dict[str, str] = field(default_factory=dict)  # style -> why not
    imports: set[str] = field(default_factory=set)  # modules beyond keras the layers need


def graph_of(model: keras.Model) -> Graph:
    """The calls `model` makes; CannotGenerate for a subclassed, unbuilt or multi-input model."""
    if not isinstance(model, keras.Sequential) and not _is_functional(model):
        raise CannotGenerate(
            f"{type(model).__name__} is a subclassed model, so its other styles cannot be "
            "derived: `call` is Python code; write them by hand with the Architecture protocol "
            "(docs/own-model.md)"
        )
    if not model.built or not getattr(model, "inputs", None):
        raise CannotGenerate(
            f"{model.name} is not built; give it a keras.Input or call it once before saving"
        )
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise CannotGenerate(
            f"{model.name} has {len(model.inputs)} inputs and {len(model.outputs)} outputs; "
            "the harness feeds and times models of one input and one output"
        )
    names = Names()
    nodes = _nodes(model)
    order = _execution_order(model, nodes)
    place = {index: at for at, index in enumerate(order)}
    consumers: dict[int, list[int]] = {}
    for index, node in enumerate(nodes):
        for tensor in node.arguments.keras_tensors:
            consumers.setdefault(id(tensor), []).append(index)
    variables = {id(model.inputs[0]): "inputs"}
    graph = Graph(
        model.name,
        tuple(model.inputs[0].shape[1:]),
        _explicit_name(model.inputs[0]._keras_history[0]),
        [],
        order,
    )
    for index, node in enumerate(nodes):
        operation = node.operation
        (output,) = node.outputs
        auto = _auto_name(operation.name, type(operation))
        variable = names.take(_snake(type(operation)) if auto else operation.name)
        if output is model.outputs[0]:
            variables[id(output)] = "outputs"
        elif consumers.get(id(output)) == [index + 1] and place[index + 1] == place[index] + 1:
            # read by the next call alone, in the order of construction and of execution
            variables[id(output)] = "x"
        else:
            variables[id(output)] = variable
        inputs = tuple(variables[id(t)] for t in node.arguments.keras_tensors)
        try:
            if isinstance(operation, keras.layers.Layer):
                constructor = construct(operation, graph.imports)
                arguments = _arguments(node.arguments.args, node.arguments.kwargs, variables)
            else:
                constructor, arguments = None, _operation(operation, node, variables)
        except Unexpressible as e:
            named = str(e) if operation.name in str(e) else f"layer {operation.name}: {e}"
            raise CannotGenerate(f"{named}, so no source can construct it") from None
        graph.calls.append(
            Call(variable, constructor, arguments, inputs, variables[id(output)], operation.name)
        )
    if why := _not_a_chain(graph):
        graph.unsupported["sequential"] = why
    return graph


def _execution_order(model, nodes: list) -> list[int]:
    """The order a Functional model runs `nodes` in (deepest first), by their index: a
    subclassed `call` that applies its layers in this order traces the same program."""
    if isinstance(model, keras.Sequential):
        return list(range(len(nodes)))
    index = {id(node): i for i, node in enumerate(nodes)}
    return [
        index[id(node)]
        for depth in sorted(model._nodes_by_depth, reverse=True)
        for node in model._nodes_by_depth[depth]
        if id(node) in index
    ]


def _is_functional(model) -> bool:
    return hasattr(model, "_nodes_by_depth") and hasattr(model, "operations")


def _nodes(model) -> list:
    """Every node of `model`'s graph but its input, in the model's operation order."""
    if isinstance(model, keras.Sequential) and getattr(model, "_functional", None):
        model = model._functional
    nodes = []
    for operation in model.operations:
        if isinstance(operation, keras.layers.InputLayer):
            continue
        mine = [
            node
            for i, node in enumerate(operation._inbound_nodes)
            if f"{id(operation)}_ib-{i}" in model._nodes
        ]
        if len(mine) != 1:
            raise CannotGenerate(
                f"layer {operation.name} is applied {len(mine)} times; the generator writes "
                "each layer once"
            )
        if len(mine[0].outputs) != 1:
            raise CannotGenerate(f"layer {operation.name} has {len(mine[0].outputs)} outputs")
        nodes.append(mine[0])
    return nodes


def _not_a_chain(graph: Graph) -> str | None:
    """Why keras.Sequential cannot hold `graph`, naming where it stops being one chain."""
    previous = "inputs"
    for call in graph.calls:
        if call.constructor is None:
            return f"{call.layer} is a keras.ops call, not a layer, and Sequential holds layers"
        if call.inputs != (previous,):
            return (
                f"the graph branches at {call.layer}, which reads {len(call.inputs)} tensors"
                if len(call.inputs) != 1
                else f"the graph branches before {call.layer}: its input feeds another layer too"
            )
        previous = call.output
    return None


class Names:
    """Python identifiers from layer names: unique, and none the generated code uses itself."""

    def __init__(self):
        self.taken: set[str] = set()

    def take(self, name: str) -> str:
        """An identifier for `name`, unused so far."""
        base = re.sub(r"\W", "_", name)
        if not base or base[0].isdigit():
            base = f"layer_{base}"
        if keyword.iskeyword(base) or base in RESERVED or hasattr(keras.Model, base):
            base = f"{base}_layer"
        candidate, n = base, 1
        while candidate in self.taken:
            n += 1
            candidate = f"{base}_{n}"
        self.taken.add(candidate)
        return candidate


def construct(layer: keras.layers.Layer, imports: set[str]) -> str:
    """Source that constructs `layer` (arguments that differ from defaults); else Unexpressible."""
    cls = type(layer)
    if isinstance(layer, keras.Model):
        raise Unexpressible(f"layer {layer.name} is a model nested in the model")
    if cls is keras.layers.Lambda:
        raise Unexpressible(f"layer {layer.name} is a Lambda: its function is Python code")
    prefix = _namespace(cls, layer.name, imports)
    return f"{prefix}.{cls.__name__}({_constructor_arguments(cls, layer.get_config(), imports)})"


def _namespace(cls: type, name: str, imports: set[str]) -> str:
    if getattr(keras.layers, cls.__name__, None) is cls:
        return "layers"
    if cls.__module__ in ("__main__", "builtins") or cls.__module__.startswith("keras"):
        raise Unexpressible(
            f"layer {name} is a {cls.__name__} from {cls.__module__}, which no source can import"
        )
    imports.add(cls.__module__)
    return cls.__module__


def _constructor_arguments(cls: type, config: dict[str, Any], imports: set[str]) -> str:
    """The arguments of `cls(...)` that rebuild `config`: required by position, then each keyword
    a layer made so far would get otherwise (a pooling's strides follow its pool size)."""
    parameters = [
        p
        for p in inspect.signature(cls.__init__).parameters.values()
        if p.name != "self" and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    ]
    required = [p.name for p in parameters if p.default is p.empty]
    if missing := [name for name in required if name not in config]:
        raise Unexpressible(f"{cls.__name__}'s config lacks its argument(s) {missing}")
    given = {name: config[name] for name in required}
    for _ in range(len(config) + 1):  # the last pass checks what the one before added
        made = _make(cls, given).get_config()
        differing = [
            k for k, v in config.items() if k not in given and k != "name" and made.get(k) != v
        ]
        if not differing:
            break
        given.update((k, config[k]) for k in differing)
    else:
        raise Unexpressible(f"no arguments of {cls.__name__} rebuild its config")
    positional = [_value(config[name], imports) for name in required]
    keywords = [
        f"dtype={_dtype(value)!r}" if name == "dtype" else f"{name}={_value(value, imports)}"
        for name, value in config.items()
        if name in given and name not in required
    ]
    if "name" in config and not _auto_name(config["name"], cls):
        keywords.append(f"name={config['name']!r}")
    return ", ".join([*positional, *keywords])


def _make(cls: type, arguments: dict[str, Any]):
    try:
        return cls(**arguments)
    except Exception:  # an argument that only `from_config` deserializes
        return cls.from_config(dict(arguments))


def _snake(cls: type) -> str:
    return keras.src.utils.naming.to_snake_case(cls.__name__)


def _auto_name(name: str, cls: type) -> bool:
    return re.fullmatch(rf"{re.escape(_snake(cls))}(_\d+)?", name) is not None


def _explicit_name(layer) -> str | None:
    return None if _auto_name(layer.name, keras.layers.InputLayer) else layer.name


def _dtype(value: Any) -> str:
    if isinstance(value, dict):
        return value.get("config", {}).get("name", str(value))
    return str(value)


def _value(value: Any, imports: set[str]) -> str:
    """`value` from a config, as source."""
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return f"float({str(value)!r})"
    if value is None or isinstance(value, (bool, int, float, str)):
        return repr(value)
    if isinstance(value, tuple):
        items = ", ".join(_value(v, imports) for v in value)
        return f"({items},)" if len(value) == 1 else f"({items})"
    if isinstance(value, list):
        return f"[{', '.join(_value(v, imports) for v in value)}]"
    if isinstance(value, dict) and "class_name" in value and "module" in value:
        return _serialized(value, imports)
    if isinstance(value, dict):
        items = ", ".join(f"{k!r}: {_value(v, imports)}" for k, v in value.items())
        return f"{{{items}}}"
    raise Unexpressible(f"a {type(value).__name__} value ({value!r}) has no source form")


def _serialized(value: dict[str, Any], imports: set[str]) -> str:
    """A serialized Keras object (initializer, regularizer, constraint, layer) as source."""
    if value["class_name"] in ("DTypePolicy", "FloatDTypePolicy"):
        return repr(_dtype(value))
    module = value["module"] or ""
    namespace = {
        "keras.initializers": "keras.initializers",
        "keras.regularizers": "keras.regularizers",
        "keras.constraints": "keras.constraints",
        "keras.layers": "layers",
    }.get(module)
    if namespace is None:
        raise Unexpressible(f"a {value['class_name']} from {module} has no source form")
    obj = keras.saving.deserialize_keras_object(value)
    if isinstance(obj, keras.layers.Layer):
        return construct(obj, imports)
    arguments = _constructor_arguments(type(obj), obj.get_config(), imports)
    return f"{namespace}.{type(obj).__name__}({arguments})"


def _arguments(args: tuple, kwargs: dict, variables: dict[int, str]) -> str:
    """A layer call's arguments, each tensor by its variable. `training`, and a `mask` of None,
    are what Keras records of the call that built the graph; the model's own call sets them."""
    rendered = [_tensor_value(a, variables) for a in args]
    rendered += [
        f"{k}={_tensor_value(v, variables)}"
        for k, v in kwargs.items()
        if k != "training" and not (k == "mask" and v is None)
    ]
    return f"({', '.join(rendered)})"


def _tensor_value(value: Any, variables: dict[int, str]) -> str:
    if isinstance(value, keras.KerasTensor):
        return variables[id(value)]
    if isinstance(value, (list, tuple)):
        items = ", ".join(_tensor_value(v, variables) for v in value)
        return f"[{items}]" if isinstance(value, list) else f"({items},)"
    return _value(value, set())


def _operation(operation, node, variables: dict[int, str]) -> str:
    """A `keras.ops` call that redoes `operation`: its function, tensors and settings."""
    function = _snake(type(operation))
    target = getattr(keras.ops, function, None)
    if target is None:
        raise Unexpressible(
            f"{operation.name} is a {type(operation).__name__} operation with no keras.ops "
            "function of that name"
        )
    accepted = inspect.signature(target).parameters
    # the settings as given: an operation's attributes may hold them normalized (axis 1 as [1])
    config, settings = operation.get_config(), []
    for p in list(inspect.signature(type(operation).__init__).parameters.values())[1:]:
        if p.name == "name" or p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
            continue
        if p.name not in accepted or p.name not in config:
            raise Unexpressible(
                f"{operation.name}: keras.ops.{function} has no argument {p.name} to give"
            )
        value = config[p.name]
        if p.default is p.empty or value != p.default:
            settings.append(f"{p.name}={_value(value, set())}")
    arguments = _arguments(node.arguments.args, node.arguments.kwargs, variables)[1:-1]
    return f"keras.ops.{function}({', '.join(filter(None, [arguments, *settings]))})"
