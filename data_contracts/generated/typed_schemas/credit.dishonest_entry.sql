-- Generated from data_contracts/contracts by `sdc contracts generate`. Do not edit.
CREATE TABLE IF NOT EXISTS lake.validated."credit__dishonest_entry" (
    "entry_id" VARCHAR,
    "subject_name" VARCHAR,
    "subject_type" VARCHAR,
    "subject_code" VARCHAR,
    "situation_code" VARCHAR,
    "reason" VARCHAR,
    "deciding_department" VARCHAR,
    "listed_on" DATE,
    "management_ends_on" DATE,
    "status" VARCHAR,
    "removed_on" DATE,
    "updated_at" TIMESTAMP,
    "_source_system" VARCHAR,
    "_source_file" VARCHAR,
    "_source_sha256" VARCHAR,
    "_record_number" BIGINT,
    "_load_id" VARCHAR,
    "_loaded_at" TIMESTAMPTZ,
    "_row_id" VARCHAR,
    "_warnings" VARCHAR[],
    "_contract_version" VARCHAR
);
