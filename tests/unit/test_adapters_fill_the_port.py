"""Every adapter the registry can build, and the service tests' double of the port, implements
every method of the provider port, with the port's parameter names, so a method added to the port
cannot be forgotten in one adapter (nor left out of what the service tests drive)."""
import inspect

import pytest

from services.providers.base import ProviderAdapter
from services.providers.codat import CodatAdapter
from services.providers.railz import RailzAdapter
from tests.support.port_double import PortDouble

PORT_METHODS = {name: fn for name, fn in vars(ProviderAdapter).items()
                if callable(fn) and not name.startswith("_")}


def test_the_port_has_methods_to_check():
    assert {"find_by_name", "find_written", "write_body", "push", "read_webhook"} <= PORT_METHODS.keys()


@pytest.mark.parametrize("adapter", [CodatAdapter, RailzAdapter, PortDouble], ids=lambda a: a.__name__)
@pytest.mark.parametrize("name", sorted(PORT_METHODS))
def test_adapter_implements_the_port_method(adapter, name):
    port_fn = PORT_METHODS[name]
    impl = getattr(adapter, name, None)
    assert impl is not None, f"{adapter.__name__} lacks the port method {name}"
    assert inspect.iscoroutinefunction(impl) == inspect.iscoroutinefunction(port_fn), name
    wanted = [p for p in inspect.signature(port_fn).parameters if p != "self"]
    have = inspect.signature(impl).parameters
    missing = [p for p in wanted if p not in have]
    assert not missing, f"{adapter.__name__}.{name} lacks the port's parameters {missing}"


def test_the_double_has_the_ports_attributes():
    double = PortDouble()
    assert set(ProviderAdapter.__annotations__) == {"name", "idempotency_window"}
    assert isinstance(double.name, str) and double.idempotency_window is not None
