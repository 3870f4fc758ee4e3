"""The Aodh resource types: alarms that call webhooks (scaling policies' ``alarm_url``) when metrics cross
a threshold.

``alarm`` holds what every alarm type shares and OS::Aodh::Alarm (the legacy
threshold type), ``gnocchi_alarm`` the types over Gnocchi's measures, and
``aodh`` the client for the alarming API (openstacksdk has none).
"""

from __future__ import annotations

from .alarm import AodhAlarm, BaseAlarm
from .gnocchi_alarm import GnocchiAggregationByMetricsAlarm, GnocchiAggregationByResourcesAlarm, GnocchiResourcesAlarm

__all__ = ["AodhAlarm", "BaseAlarm", "GnocchiAggregationByMetricsAlarm", "GnocchiAggregationByResourcesAlarm",
           "GnocchiResourcesAlarm"]
