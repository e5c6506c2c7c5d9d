-- Generated from data_contracts/contracts by `sdc contracts generate`. Do not edit.
CREATE TABLE IF NOT EXISTS lake.validated."special_equipment__inspection" (
    "report_no" VARCHAR,
    "reg_code" VARCHAR,
    "inspection_kind" VARCHAR,
    "inspection_date" DATE,
    "conclusion" VARCHAR,
    "next_inspection_date" DATE,
    "inspection_body" VARCHAR,
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
