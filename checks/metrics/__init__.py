"""lmdoctor as a Prometheus exporter: the targets config, the per-target probe, the scrape rounds
and the metric families (``lmdoctor serve`` and ``lmdoctor check --format openmetrics``).

Only ``families``, ``server`` and ``textfile`` import prometheus_client, and only the serve and
openmetrics code paths import those, so every other command starts without it.
"""
