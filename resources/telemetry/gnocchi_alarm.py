"""Aodh alarms over Gnocchi's measures: OS::Aodh::GnocchiAggregationByResourcesAlarm (the one autoscaling
groups use), OS::Aodh::GnocchiResourcesAlarm and OS::Aodh::GnocchiAggregationByMetricsAlarm.

They share the threshold's comparison with OS::Aodh::Alarm, but read a
Gnocchi aggregate (``aggregation_method``, e.g. ``mean`` or ``rate:mean``)
at a ``granularity`` instead of a Ceilometer statistic over a ``period``.
"""

from __future__ import annotations

from resources.schema import Integer, List, Number, String

from .alarm import COMMON_PROPERTIES, OPERATORS, BaseAlarm

#: what every Gnocchi alarm type takes besides what names its measures
GNOCCHI_PROPERTIES = {
    "comparison_operator": String("Operator used to compare specified statistic with threshold.",
                                  constraints=(OPERATORS,), update_allowed=True),
    "evaluation_periods": Integer("Number of periods to evaluate over.", update_allowed=True),
    "aggregation_method": String("The aggregation method to compare to the threshold.", update_allowed=True),
    "granularity": Integer("The time range in seconds.", update_allowed=True),
    "threshold": Number("Threshold to evaluate against.", required=True, update_allowed=True),
}
GNOCCHI_RULE = tuple(GNOCCHI_PROPERTIES)


class GnocchiResourcesAlarm(BaseAlarm):
    """An alarm on one metric of one Gnocchi resource."""

    type_name = "OS::Aodh::GnocchiResourcesAlarm"
    description = "An alarm on one metric of one resource of Gnocchi."
    alarm_type = "gnocchi_resources_threshold"
    rule_properties = ("metric", "resource_id", "resource_type") + GNOCCHI_RULE
    properties_schema = {
        "metric": String("Metric name watched by the alarm.", required=True, update_allowed=True),
        "resource_id": String("Id of a resource.", required=True, update_allowed=True),
        "resource_type": String("Resource type.", required=True, update_allowed=True),
        **GNOCCHI_PROPERTIES, **COMMON_PROPERTIES,
    }


class GnocchiAggregationByMetricsAlarm(BaseAlarm):
    """An alarm on several Gnocchi metrics (by id) aggregated into one series."""

    type_name = "OS::Aodh::GnocchiAggregationByMetricsAlarm"
    description = "An alarm on the aggregation of a list of Gnocchi metrics."
    alarm_type = "gnocchi_aggregation_by_metrics_threshold"
    rule_properties = ("metrics",) + GNOCCHI_RULE
    properties_schema = {
        "metrics": List("A list of metric ids.", required=True, update_allowed=True),
        **GNOCCHI_PROPERTIES, **COMMON_PROPERTIES,
    }


class GnocchiAggregationByResourcesAlarm(BaseAlarm):
    """An alarm on one metric aggregated over every Gnocchi resource a query selects (a group's servers)."""

    type_name = "OS::Aodh::GnocchiAggregationByResourcesAlarm"
    description = ("An alarm on a metric aggregated over the resources a query selects, such as the servers of an "
                   "autoscaling group ({\"=\": {\"server_group\": ...}}).")
    alarm_type = "gnocchi_aggregation_by_resources_threshold"
    rule_properties = ("metric", "query", "resource_type") + GNOCCHI_RULE
    properties_schema = {
        "metric": String("Metric name watched by the alarm.", required=True, update_allowed=True),
        "query": String("The query to filter the metrics.", required=True, update_allowed=True),
        "resource_type": String("Resource type.", required=True, update_allowed=True),
        **GNOCCHI_PROPERTIES, **COMMON_PROPERTIES,
    }
