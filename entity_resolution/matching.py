"""Probabilistic matching of enterprise profiles with Splink 5 on DuckDB (the fallback after the
deterministic edges).

The model compares *normalised keys* only (exact name key, exact trade-name core, identifiers, town):
DuckDB 1.5.x computes Jaro-Winkler / Levenshtein on UTF-8 bytes, so a one-character Chinese typo costs 3,
and the quirks the departments produce (prefixes, legal form, width, traditional characters, short
names) are all removed structurally before the comparison.

The trained model is a versioned JSON file (`models/enterprise_splink.json`); the pipeline only scores
with it. `train()` re-estimates it from the identifier-resolved clusters, no ground truth needed:
profiles that share a valid USCC / organisation code / 注册号 are labelled matches (m, with Splink's
`estimate_m_from_label_column`), profiles with *different* identifiers are labelled non-matches (u, from
a random sample of such pairs). Splink's own random-sampling u estimate is unusable here: the input is
dominated by variants of the same enterprises, so "random" pairs that agree on the name key are mostly
matches and the name key would look common. Term-frequency adjustment is off for the same reason.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import duckdb
import pandas as pd

MODEL_PATH = Path(__file__).parent / "models" / "enterprise_splink.json"
PROFILE_COLUMNS = [
    "unique_id", "name_key", "name_core", "uscc", "uscc_body", "org_code", "reg_no15", "town", "id_label",
]  # fmt: skip


def settings():
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    name = cl.CustomComparison(
        output_column_name="name",
        comparison_description="normalised name key, then trade-name core",
        comparison_levels=[
            cll.CustomLevel("name_key_l IS NULL OR name_key_r IS NULL", "null").configure(is_null_level=True),
            cll.ExactMatchLevel("name_key"),
            cll.ExactMatchLevel("name_core"),
            cll.ElseLevel(),
        ],
    )
    identifier = cl.CustomComparison(
        output_column_name="identifier",
        comparison_description="USCC / organisation code / 注册号",
        comparison_levels=[
            cll.CustomLevel(
                "coalesce(uscc_l, org_code_l, reg_no15_l) IS NULL OR coalesce(uscc_r, org_code_r, reg_no15_r) IS NULL",
                "either has no identifier",
            ).configure(is_null_level=True),
            cll.CustomLevel("uscc_l = uscc_r", "same USCC"),
            cll.CustomLevel("org_code_l = org_code_r", "same organisation code"),
            cll.CustomLevel("reg_no15_l = reg_no15_r", "same 注册号"),
            cll.CustomLevel("uscc_body_l = uscc_body_r", "same USCC but for the check character"),
            cll.CustomLevel("uscc_l <> uscc_r", "different USCCs"),
            cll.ElseLevel(),
        ],
    )
    town = cl.CustomComparison(
        output_column_name="town",
        comparison_levels=[
            cll.CustomLevel("town_l IS NULL OR town_r IS NULL", "null").configure(is_null_level=True),
            cll.ExactMatchLevel("town"),
            cll.ElseLevel(),
        ],
    )
    return SettingsCreator(
        link_type="dedupe_only",
        comparisons=[name, identifier, town],
        blocking_rules_to_generate_predictions=[
            block_on("name_key"),
            block_on("name_core"),
            block_on("org_code"),
            block_on("reg_no15"),
            block_on("uscc_body"),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )


def _linker(con: duckdb.DuckDBPyConnection, profiles: pd.DataFrame, model):
    from splink import DuckDBAPI, Linker

    db_api = DuckDBAPI(connection=con)
    frame = db_api.register(profiles[PROFILE_COLUMNS].copy())
    return Linker(frame, model, log_level=logging.WARNING)


def train(profiles: pd.DataFrame, path: Path = MODEL_PATH, seed: int = 1) -> Path:
    """Estimate the model on `profiles` and write it as JSON (`id_label`: identifier cluster, or null)."""
    with duckdb.connect() as con:
        con.register("__profiles", profiles[PROFILE_COLUMNS])
        linker = _linker(con, profiles, settings())
        linker.training.estimate_m_from_label_column("id_label")
        path.parent.mkdir(parents=True, exist_ok=True)
        linker.misc.save_model_to_json(str(path), overwrite=True)
        model = json.loads(path.read_text(encoding="utf-8"))
        model["probability_two_random_records_match"] = _match_rate(con, profiles)
        for comparison in model["comparisons"]:
            _set_u_from_non_matches(con, comparison, seed)
            for level in comparison["comparison_levels"]:
                if level.get("is_null_level") or level.get("m_probability") is not None:
                    continue
                # Levels no labelled match ever reaches: two different valid USCCs are (almost) never one
                # enterprise; identifiers of different kinds (a 注册号 against a USCC) are no evidence.
                different = level["sql_condition"].startswith("uscc_l <> uscc_r")
                level["m_probability"] = 1e-6 if different else level["u_probability"]
        path.write_text(json.dumps(model, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def _match_rate(con: duckdb.DuckDBPyConnection, profiles: pd.DataFrame) -> float:
    """Share of labelled profile pairs that are matches (the prior)."""
    sizes = profiles["id_label"].dropna().value_counts()
    n = int(sizes.sum())
    within = int((sizes * (sizes - 1) // 2).sum())
    return max(within / (n * (n - 1) // 2), 1e-9)


def _set_u_from_non_matches(
    con: duckdb.DuckDBPyConnection, comparison: dict, seed: int, pairs: int = 2_000_000
) -> None:
    """u of each level = share of sampled pairs with different identifier labels that fall into it."""
    levels = [lvl for lvl in comparison["comparison_levels"] if not lvl.get("is_null_level")]
    null_sql = " OR ".join(
        f"({lvl['sql_condition']})" for lvl in comparison["comparison_levels"] if lvl.get("is_null_level")
    )
    cases = " ".join(
        f"WHEN {lvl['sql_condition']} THEN {i}" for i, lvl in enumerate(levels) if lvl["sql_condition"] != "ELSE"
    )
    else_index = len(levels) - 1
    counts = dict(
        con.execute(
            f"""
            WITH labelled AS (SELECT * FROM __profiles WHERE id_label IS NOT NULL),
                 l AS (SELECT * FROM labelled USING SAMPLE 3000 ROWS (reservoir, {seed})),
                 r AS (SELECT * FROM labelled USING SAMPLE 3000 ROWS (reservoir, {seed + 1})),
                 pairs AS (
                    SELECT {", ".join(f"l.{c} AS {c}_l, r.{c} AS {c}_r" for c in PROFILE_COLUMNS)}
                    FROM l CROSS JOIN r WHERE l.id_label <> r.id_label LIMIT {pairs})
            SELECT CASE {cases} ELSE {else_index} END AS level, count(*) FROM pairs
            {f"WHERE NOT ({null_sql})" if null_sql else ""}
            GROUP BY 1
            """
        ).fetchall()
    )
    total = sum(counts.values())
    for i, level in enumerate(levels):
        # a level never seen among non-matches gets half an observation (never exactly zero)
        level["u_probability"] = max(counts.get(i, 0), 0.5) / total


def score_pairs(profiles: pd.DataFrame, threshold: float, path: Path = MODEL_PATH) -> pd.DataFrame:
    """Candidate pairs (unique_id_l, unique_id_r, match_probability) at or above `threshold`."""
    with duckdb.connect() as con:
        linker = _linker(con, profiles, str(path))
        result = linker.inference.predict(threshold_match_probability=threshold)
        pairs = result.as_pandas_dataframe()
    return pairs[["unique_id_l", "unique_id_r", "match_probability"]]
