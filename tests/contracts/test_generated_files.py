from data_contracts.codegen import dbt_sources_files, stale_files


def test_generated_files_are_up_to_date():
    assert stale_files() == [], "run `uv run sdc contracts generate` and commit the result"


def test_every_contract_has_a_dbt_source():
    text = "".join(dbt_sources_files().values())
    assert "hazchem__enterprise" in text
