"""Telemetry in the sandbox: Gnocchi's metric store, Aodh's alarms and their evaluator, and server load.

Sandbox servers do nothing, so their metrics come from a load level people
and tests set per server or per group (``load``); the metrics are computed
from the load history when they are read (``meters``), beside the measures
anyone posts (``measures``).  The services, each under its own path:

* ``metric`` (Gnocchi v1, ``/metric``): resources (a server is an
  ``instance`` resource), metrics, measures; ``aggregates`` the dynamic
  aggregates Aodh reads; ``load_api`` the sandbox's admin API that sets load.
* ``alarming`` (Aodh v2, ``/alarming``): alarms, their state and history;
  ``alarms`` is the model, ``evaluator`` the state machine, ``notifier`` the
  webhooks, ``evaluator_thread`` the thread that runs them.
* ``metering`` (Ceilometer v2, ``/metering``): the legacy sample form.

``aggregation``, ``search`` and ``resources`` are what the services share.
"""

# the modules whose routes join the ``metric`` blueprint, registered when the package is imported
from . import aggregates, load_api  # noqa: E402

__all__ = ["aggregates", "load_api"]
