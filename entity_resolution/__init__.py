"""Entity resolution for the data centre: one record per real enterprise, vehicle and crane.

Dagster-free and dbt-free: normalisation (`normalise`), constrained clustering (`clustering`),
probabilistic matching with Splink (`matching`), stable ids (`ids`) and the enterprise resolver
(`enterprises`) that ties them together. `pipelines/defs/resolution/` wires it into Dagster; the
same normalisation functions are registered as DuckDB UDFs for dbt (`entity_resolution.dbt_plugin`).
"""
