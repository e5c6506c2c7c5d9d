"""Enterprise resolution: one entity per legal entity across the five departments.

Ladder (domain_dictionary §8.1, stack_notes "Entity resolution"):

1. Mentions collapse into *profiles*: identical (name key, identifier, town).
2. Deterministic edges: equal valid USCC; an organisation code equal to another identifier's
   (it sits at positions 9-17 of the USCC); equal 15-digit 注册号; equal name key *with* a
   corroborating field (same town); reviewer must-links.
3. Splink (`matching`) scores the remaining candidate pairs. Pairs ≥ `merge_threshold` are merge
   edges, pairs in [`review_threshold`, `merge_threshold`) go to the review queue.
4. Clustering applies the edges strongest first and refuses any merge that joins two different valid
   USCCs, a branch with a non-branch, or a pair a reviewer marked as different. A profile without
   an identifier whose strong edges point at two such incompatible entities is ambiguous: it is
   not merged and goes to the review queue.
5. Ids are stable (`ids.assign_claimed_ids`): previous run's ids carry over.
"""

from __future__ import annotations

import hashlib
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from entity_resolution import matching
from entity_resolution.clustering import ConstrainedClusters
from entity_resolution.ids import assign_claimed_ids

MERGE_THRESHOLD = 0.8
REVIEW_THRESHOLD = 0.3
ID_PREFIX = "ENT-"

# Rule that joined a profile to its entity, strongest first.
RULES = ["uscc", "org_code", "reg_no15", "review_must_link", "name_key_town", "splink"]


@dataclass
class EnterpriseResolution:
    review_queue: pd.DataFrame  # pair_id, mention_id_l, mention_id_r, ..., match_probability, reason
    stats: dict


def _sql_text(column: str) -> str:
    return f"coalesce(CAST({column} AS VARCHAR), '')"


# Ladder step 1 in DuckDB: waybills repeat their parties (after months, mentions outnumber profiles 15 to 1), so
# only the profiles come to Python. A profile id: the first 16 hex digits of the SHA-1 of its name key, identifier
# and town, joined by U+001F, each missing one as "".
PROFILE_ID = (
    f"left(sha1({_sql_text('name_key')} || chr(31) || {_sql_text('identifier')} || chr(31) || {_sql_text('town')}), 16)"
)
PROFILE_TEXTS = ("name_key", "name_core", "identifier", "uscc", "org_code", "reg_no15", "town")
PROFILES = """
    SELECT profile_id, min(name_key) AS name_key, min(name_core) AS name_core, min(identifier) AS identifier,
           min(uscc) AS uscc, min(CASE WHEN length(identifier) = 18 THEN left(identifier, 17) END) AS uscc_body,
           min(org_code) AS org_code, min(reg_no15) AS reg_no15, min(town) AS town, max(is_branch) AS is_branch,
           min(mention_id) AS first_mention, count(*) AS mention_count
    FROM mention_profiles GROUP BY profile_id ORDER BY profile_id"""


def build_profiles(con: duckdb.DuckDBPyConnection, mentions: str) -> pd.DataFrame:
    """The profiles (distinct name key, identifier and town) of the mentions in relation `mentions`; each mention's
    profile id is left in the temp table `mention_profiles`."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE mention_profiles AS
            SELECT CAST(mention_id AS VARCHAR) AS mention_id, {PROFILE_ID} AS profile_id,
                   {"".join(f"CAST({c} AS VARCHAR) AS {c}, " for c in PROFILE_TEXTS)}
                   CAST(is_branch AS BOOLEAN) AS is_branch
            FROM {mentions}"""
    )
    return con.execute(PROFILES).df()


def _group_edges(profiles: pd.DataFrame, column: str, rule: str) -> list[tuple[str, str, str, float]]:
    """Edges from the first profile of each group sharing a value of `column` to each of the others; groups in the
    order of their values, profiles in the frame's order."""
    shared = profiles.dropna(subset=[column]).sort_values(column, kind="stable")
    first = shared.groupby(column, sort=False)["profile_id"].transform("first")
    others = shared["profile_id"] != first
    return [(a, b, rule, 1.0) for a, b in zip(first[others], shared["profile_id"][others], strict=True)]


def _identifier_labels(profiles: pd.DataFrame) -> pd.Series:
    """Identifier-only clusters (USCC, organisation code, 注册号): the training labels for Splink."""
    clusters = ConstrainedClusters(profiles["profile_id"], {}, {})
    for column in ("uscc", "org_code", "reg_no15"):
        for a, b, _, _ in _group_edges(profiles, column, column):
            clusters.union(a, b)
    labels = profiles["profile_id"].map(clusters.labels())
    return labels.where(profiles[["uscc", "org_code", "reg_no15"]].notna().any(axis=1), None)


def splink_profiles(profiles: pd.DataFrame) -> pd.DataFrame:
    out = profiles.rename(columns={"profile_id": "unique_id"}).copy()
    out["id_label"] = _identifier_labels(profiles)
    return out


def train_model(mentions: pd.DataFrame, path: Path = matching.MODEL_PATH) -> Path:
    with closing(duckdb.connect()) as con:
        con.register("mentions", mentions)
        profiles = build_profiles(con, "mentions")
    return matching.train(splink_profiles(profiles), path)


def resolve(
    mentions: pd.DataFrame,
    decisions: pd.DataFrame | None = None,
    previous_ids: pd.DataFrame | None = None,
    model_path: Path = matching.MODEL_PATH,
) -> tuple[pd.DataFrame, EnterpriseResolution]:
    """`resolve_in` on data frames: mentions (int_enterprise_mentions rows), decisions and previous_ids as there;
    returns the resolved mentions (mention_id, enterprise_id, profile_id, match_rule, match_probability) too."""
    previous = previous_ids if previous_ids is not None else pd.DataFrame(columns=["mention_id", "enterprise_id"])
    with closing(duckdb.connect()) as con:
        con.register("mentions", mentions)
        con.register("previous", previous.astype({"mention_id": "string", "enterprise_id": "string"}))
        result = resolve_in(con, "mentions", decisions, "previous", model_path)
        return con.execute("SELECT * FROM resolved ORDER BY mention_id").df(), result


def resolve_in(
    con: duckdb.DuckDBPyConnection,
    mentions: str,
    decisions: pd.DataFrame | None,
    previous: str,
    model_path: Path = matching.MODEL_PATH,
    merge_threshold: float = MERGE_THRESHOLD,
    review_threshold: float = REVIEW_THRESHOLD,
) -> EnterpriseResolution:
    """Resolve the mentions of relation `mentions` (int_enterprise_mentions' columns) into the temp table
    `resolved` (mention_id, enterprise_id, profile_id, match_rule, match_probability). decisions: mention_id_l,
    mention_id_r, decision (must_link / cannot_link); previous: a relation of the last run's mention_id,
    enterprise_id. The mentions stay in DuckDB; Python sees profiles and clusters."""
    profiles = build_profiles(con, mentions)
    pid = profiles["profile_id"]
    clusters = ConstrainedClusters(
        pid,
        usccs={p: u for p, u in zip(pid, profiles["uscc"], strict=True) if isinstance(u, str)},
        # a profile without a name has no branch flag: it may join a branch or a head office
        branch={p: bool(b) for p, b in zip(pid, profiles["is_branch"], strict=True) if pd.notna(b)},
    )
    rule_of: dict[str, str] = {}
    probability_of: dict[str, float] = {}

    def apply(edges) -> list[tuple[str, str, str, float, str]]:
        refused = []
        for a, b, rule, prob in edges:
            ra, rb = clusters.find(a), clusters.find(b)
            if ra == rb:
                continue
            reason = clusters.union(a, b)
            if reason:
                refused.append((a, b, rule, prob, reason))
                continue
            for node in (a, b):
                rule_of.setdefault(node, rule)
                probability_of.setdefault(node, prob)
        return refused

    profile_of = {}
    if decisions is not None and len(decisions):
        decided = sorted(set(decisions["mention_id_l"]) | set(decisions["mention_id_r"]))
        found = con.execute("SELECT mention_id, profile_id FROM mention_profiles WHERE list_contains(?, mention_id)",
                            [decided])  # fmt: skip
        profile_of = dict(found.fetchall())
        decisions = decisions[decisions["mention_id_l"].isin(profile_of) & decisions["mention_id_r"].isin(profile_of)]
    else:
        decisions = pd.DataFrame(columns=["mention_id_l", "mention_id_r", "decision"])
    for row in decisions.itertuples():
        if row.decision == "cannot_link":
            clusters.add_cannot_link(profile_of[row.mention_id_l], profile_of[row.mention_id_r])
    must = [
        (profile_of[r.mention_id_l], profile_of[r.mention_id_r], "review_must_link", 1.0)
        for r in decisions.itertuples()
        if r.decision == "must_link"
    ]

    refused = []
    refused += apply(_group_edges(profiles, "uscc", "uscc"))
    refused += apply(_group_edges(profiles, "org_code", "org_code"))
    refused += apply(_group_edges(profiles, "reg_no15", "reg_no15"))
    refused += apply(must)
    with_town = profiles.dropna(subset=["name_key", "town"]).copy()
    with_town["name_town"] = with_town["name_key"] + "\x1f" + with_town["town"]
    refused += apply(_group_edges(with_town, "name_town", "name_key_town"))

    scored = matching.score_pairs(splink_profiles(profiles), review_threshold, model_path)
    scored = scored.sort_values(["match_probability", "unique_id_l", "unique_id_r"], ascending=[False, True, True])
    strong = scored[scored["match_probability"] >= merge_threshold]

    # Ambiguity: a component without a USCC whose strong edges reach two incompatible entities.
    reach: dict = {}
    for a, b in zip(strong["unique_id_l"], strong["unique_id_r"], strict=True):
        ra, rb = clusters.find(a), clusters.find(b)
        if ra == rb:
            continue
        for x, y in ((ra, rb), (rb, ra)):
            if not clusters.usccs(x):
                reach.setdefault(x, set()).add(y)
    ambiguous = set()
    for root, targets in reach.items():
        anchored = [t for t in targets if clusters.usccs(t)]
        if any(clusters.conflict(t1, t2) for i, t1 in enumerate(anchored) for t2 in anchored[i + 1 :]):
            ambiguous.add(root)

    review = []
    merge_edges = []
    for a, b, prob in zip(strong["unique_id_l"], strong["unique_id_r"], strong["match_probability"], strict=True):
        if clusters.find(a) in ambiguous or clusters.find(b) in ambiguous:
            review.append((a, b, prob, "ambiguous"))
        else:
            merge_edges.append((a, b, "splink", float(prob)))
    for a, b, _, prob, reason in apply(merge_edges):
        review.append((a, b, prob, f"refused_{reason}"))
    uncertain = scored[scored["match_probability"] < merge_threshold]
    for a, b, prob in zip(
        uncertain["unique_id_l"], uncertain["unique_id_r"], uncertain["match_probability"], strict=True
    ):
        if clusters.find(a) != clusters.find(b) and not clusters.conflict(a, b):
            review.append((a, b, prob, "uncertain"))

    # Entities and their stable ids: a cluster's anchor is its one valid USCC, else its smallest mention id.
    labels = clusters.labels()
    clustered = pd.DataFrame({
        "profile_id": pid,
        "cluster": pid.map(labels),
        "match_rule": pid.map(rule_of).fillna("anchor"),
        "match_probability": pid.map(probability_of).fillna(1.0).astype(float),
    })  # fmt: skip
    by_cluster = profiles.assign(cluster=clustered["cluster"]).groupby("cluster")
    anchors = by_cluster["uscc"].min().where(by_cluster["uscc"].nunique() == 1, by_cluster["first_mention"].min())
    con.register("clustered", clustered)
    # each cluster's claims to last run's ids, counted where the mentions are
    claims = con.execute(
        f"""SELECT c.cluster, p.enterprise_id, count(*) FROM mention_profiles m JOIN clustered c USING (profile_id)
            JOIN {previous} p USING (mention_id) GROUP BY ALL"""
    ).fetchall()
    ids = assign_claimed_ids(anchors.index, anchors.to_dict(), claims, ID_PREFIX)
    con.register("cluster_ids", pd.DataFrame({"cluster": list(ids), "enterprise_id": list(ids.values())}))
    con.execute(
        """CREATE OR REPLACE TEMP TABLE resolved AS
           SELECT m.mention_id, i.enterprise_id, m.profile_id, c.match_rule, c.match_probability
           FROM mention_profiles m JOIN clustered c USING (profile_id) JOIN cluster_ids i USING (cluster)"""
    )
    for name in ("clustered", "cluster_ids"):
        con.unregister(name)
    con.execute("DROP TABLE mention_profiles")

    first_mention = dict(zip(profiles["profile_id"], profiles["first_mention"], strict=True))
    queue = pd.DataFrame(review, columns=["profile_l", "profile_r", "match_probability", "reason"])
    queue["mention_id_l"] = queue["profile_l"].map(first_mention)
    queue["mention_id_r"] = queue["profile_r"].map(first_mention)
    queue["enterprise_id_l"] = queue["profile_l"].map(lambda p: ids[labels[p]])
    queue["enterprise_id_r"] = queue["profile_r"].map(lambda p: ids[labels[p]])
    swap = queue["mention_id_l"] > queue["mention_id_r"]
    for left, right in (("mention_id_l", "mention_id_r"), ("enterprise_id_l", "enterprise_id_r")):
        queue.loc[swap, [left, right]] = queue.loc[swap, [right, left]].to_numpy()
    queue["pair_id"] = (queue["mention_id_l"] + "~" + queue["mention_id_r"]).map(
        lambda k: hashlib.sha1(k.encode("utf-8")).hexdigest()[:16]
    )
    queue = (
        queue.drop(columns=["profile_l", "profile_r"])
        .sort_values(["match_probability", "pair_id"], ascending=[False, True])
        .drop_duplicates("pair_id")
        .reset_index(drop=True)
    )
    stats = {
        "mentions": int(profiles["mention_count"].sum()),
        "profiles": len(profiles),
        "entities": len(ids),
        "scored_pairs": len(scored),
        "merge_pairs": len(merge_edges),
        "review_pairs": len(queue),
        "ambiguous_components": len(ambiguous),
        "refused_deterministic": len(refused),
    }
    return EnterpriseResolution(
        review_queue=queue[
            [
                "pair_id",
                "mention_id_l",
                "mention_id_r",
                "enterprise_id_l",
                "enterprise_id_r",
                "match_probability",
                "reason",
            ]
        ],
        stats=stats,
    )
