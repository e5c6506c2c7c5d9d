-- Generated from data_contracts/contracts by `sdc contracts generate`. Do not edit.
CREATE TABLE IF NOT EXISTS lake.validated."construction__alarm" (
    "alarm_id" VARCHAR,
    "device_sn" VARCHAR,
    "alarm_code" VARCHAR,
    "level" VARCHAR,
    "value" DOUBLE,
    "threshold" DOUBLE,
    "occurred_at" TIMESTAMPTZ,
    "recovered_at" TIMESTAMPTZ,
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
