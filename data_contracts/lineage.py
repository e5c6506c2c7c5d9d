"""The lineage every delivered row carries from the landing zone on: which system, file (or API request) and
record it came from, in which load. Defined once; the raw tables, the validated tables, the quarantine and the
validator take their columns from here."""

LINEAGE: tuple[tuple[str, str], ...] = (
    ("_source_system", "VARCHAR"),
    ("_source_file", "VARCHAR"),
    ("_source_sha256", "VARCHAR"),
    ("_record_number", "BIGINT"),
    ("_load_id", "VARCHAR"),
    ("_loaded_at", "TIMESTAMPTZ"),
)
LINEAGE_COLUMNS: tuple[str, ...] = tuple(name for name, _ in LINEAGE)
