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
from dataclasses import dataclass
from pathlib import Path

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
    mentions: pd.DataFrame  # mention_id, enterprise_id, profile_id, match_rule, match_probability
    review_queue: pd.DataFrame  # pair_id, mention_id_l, mention_id_r, ..., match_probability, reason
    stats: dict


def _texts(values: pd.Series) -> pd.Series:
    """Each value as text, a missing one as ""."""
    values = values.astype(object)
    return values.where(values.notna(), "").astype(str)


def build_profiles(mentions: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Distinct (name_key, identifier, town) tuples and each mention's profile id."""
    frame = mentions.copy()
    identifier = frame["identifier"].astype(object)
    frame["uscc_body"] = identifier.where(identifier.str.len() == 18).str[:17]
    # vectorised, and one hash per distinct key: waybills repeat their parties, so mentions outnumber profiles 15 to 1
    key = _texts(frame["name_key"]) + "\x1f" + _texts(identifier) + "\x1f" + _texts(frame["town"])
    frame["profile_id"] = key.map({k: hashlib.sha1(k.encode("utf-8")).hexdigest()[:16] for k in key.unique()})
    agg = frame.groupby("profile_id", sort=True).agg(
        name_key=("name_key", "first"),
        name_core=("name_core", "first"),
        identifier=("identifier", "first"),
        uscc=("uscc", "first"),
        uscc_body=("uscc_body", "first"),
        org_code=("org_code", "first"),
        reg_no15=("reg_no15", "first"),
        town=("town", "first"),
        is_branch=("is_branch", "max"),
        first_mention=("mention_id", "min"),
        mention_count=("mention_id", "size"),
    )
    profiles = agg.reset_index()
    return profiles, frame.set_index("mention_id")["profile_id"]


def _group_edges(profiles: pd.DataFrame, column: str, rule: str) -> list[tuple[str, str, str, float]]:
    edges = []
    for _, ids in profiles.dropna(subset=[column]).groupby(column)["profile_id"]:
        ids = list(ids)
        edges.extend((ids[0], other, rule, 1.0) for other in ids[1:])
    return edges


def _identifier_labels(profiles: pd.DataFrame) -> pd.Series:
    """Identifier-only clusters (USCC, organisation code, 注册号): the training labels for Splink."""
    clusters = ConstrainedClusters(profiles["profile_id"], {}, {})
    for column in ("uscc", "org_code", "reg_no15"):
        for a, b, _, _ in _group_edges(profiles, column, column):
            clusters.union(a, b)
    labels = clusters.labels()
    has_id = profiles[["uscc", "org_code", "reg_no15"]].notna().any(axis=1)
    return pd.Series(
        [labels[p] if ok else None for p, ok in zip(profiles["profile_id"], has_id, strict=True)],
        index=profiles.index,
    )


def splink_profiles(profiles: pd.DataFrame) -> pd.DataFrame:
    out = profiles.rename(columns={"profile_id": "unique_id"}).copy()
    out["id_label"] = _identifier_labels(profiles)
    return out


def train_model(mentions: pd.DataFrame, path: Path = matching.MODEL_PATH) -> Path:
    profiles, _ = build_profiles(mentions)
    return matching.train(splink_profiles(profiles), path)


def resolve(
    mentions: pd.DataFrame,
    decisions: pd.DataFrame | None = None,
    previous_ids: pd.DataFrame | None = None,
    model_path: Path = matching.MODEL_PATH,
    merge_threshold: float = MERGE_THRESHOLD,
    review_threshold: float = REVIEW_THRESHOLD,
) -> EnterpriseResolution:
    """mentions: int_enterprise_mentions rows; decisions: mention_id_l, mention_id_r, decision
    (must_link / cannot_link); previous_ids: mention_id, enterprise_id of the last run."""
    profiles, profile_of = build_profiles(mentions)
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

    decisions = (
        decisions if decisions is not None else pd.DataFrame(columns=["mention_id_l", "mention_id_r", "decision"])
    )
    decisions = decisions[
        decisions["mention_id_l"].isin(profile_of.index) & decisions["mention_id_r"].isin(profile_of.index)
    ]
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

    # Entities and their stable ids.
    labels = clusters.labels()
    profiles["cluster"] = profiles["profile_id"].map(labels)
    mention_frame = pd.DataFrame({"mention_id": profile_of.index, "profile_id": profile_of.to_numpy()})
    mention_frame["cluster"] = mention_frame["profile_id"].map(labels)
    # each cluster's claims to last run's ids, counted by pandas: after months of waybills mentions outnumber
    # entities 75 to 1
    smallest_member = mention_frame.groupby("cluster")["mention_id"].min()
    anchors = {}
    for cluster, group in profiles.groupby("cluster"):
        usccs = sorted(set(group["uscc"].dropna()))
        anchors[cluster] = usccs[0] if len(usccs) == 1 else smallest_member[cluster]
    claims = []
    if previous_ids is not None and len(previous_ids):
        carried = mention_frame.merge(previous_ids[["mention_id", "enterprise_id"]], on="mention_id")
        claims = list(carried.groupby(["cluster", "enterprise_id"]).size().items())
        claims = [(cluster, old_id, int(n)) for (cluster, old_id), n in claims]
    ids = assign_claimed_ids(anchors, anchors, claims, ID_PREFIX)
    mention_frame["enterprise_id"] = mention_frame["cluster"].map(ids)
    mention_frame["match_rule"] = mention_frame["profile_id"].map(rule_of).fillna("anchor")
    mention_frame["match_probability"] = mention_frame["profile_id"].map(probability_of).fillna(1.0).astype(float)

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
        "mentions": len(mention_frame),
        "profiles": len(profiles),
        "entities": len(ids),
        "scored_pairs": len(scored),
        "merge_pairs": len(merge_edges),
        "review_pairs": len(queue),
        "ambiguous_components": len(ambiguous),
        "refused_deterministic": len(refused),
    }
    return EnterpriseResolution(
        mentions=mention_frame[["mention_id", "enterprise_id", "profile_id", "match_rule", "match_probability"]],
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
