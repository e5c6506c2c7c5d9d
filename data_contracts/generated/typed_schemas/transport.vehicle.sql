-- Generated from data_contracts/contracts by `sdc contracts generate`. Do not edit.
CREATE TABLE IF NOT EXISTS lake.validated."transport__vehicle" (
    "vehicle_id" VARCHAR,
    "plate" VARCHAR,
    "plate_colour" VARCHAR,
    "business_type" VARCHAR,
    "operator_name" VARCHAR,
    "operator_uscc" VARCHAR,
    "transport_cert_no" VARCHAR,
    "seats" BIGINT,
    "rated_load_kg" DOUBLE,
    "status" VARCHAR,
    "review_valid_until" DATE,
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
